"""Building what HumanGov runs: the Debian base images (mmdebstrap, `baseimage.py`), the app and nginx
images (docker SDK, `images.py`), and the AWS emulator embedded in this process (`emulator.py`)."""
