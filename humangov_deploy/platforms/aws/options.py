"""The aws platform's options: what `deploy`, `destroy` and `sweep` take from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from humangov_deploy.errors import ConfigError
from humangov_deploy.naming import domain_name
from humangov_deploy.platforms.aws.data import DATA_KINDS
from humangov_deploy.platforms.aws.domain import check_options
from humangov_deploy.platforms.aws.wait import WAIT_MODES, WaitMode

DEFAULT_LOG_RETENTION_DAYS = 14


@dataclass
class AwsOptions:
    data: str = "terraform"  # how deploy makes the data
    data_given: bool = False  # destroy: the user chose --data; else the kind recorded at deploy is used
    desired_count: int = 2
    wait: WaitMode = "healthy"
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    poll_interval: float = 5.0
    keep_data: bool = False  # destroy: leave the table and bucket
    keep_shared: bool = False  # destroy: leave the shared cluster even when no state uses it
    certificate_arn: str | None = None  # deploy: HTTPS:443 with this ACM certificate, HTTP:80 redirects
    domain: str | None = None  # deploy: served as https://NAME (`{state}`: the state), domain.py
    hosted_zone_id: str | None = None  # deploy: the Route 53 alias record NAME -> the ALB, in this zone

    def domain_for(self, state: str) -> str | None:
        return domain_name(self.domain, state) if self.domain else None

    def __post_init__(self) -> None:
        if self.data not in DATA_KINDS:
            raise ConfigError(f"unknown data backend {self.data!r}; choose one of {', '.join(DATA_KINDS)}")
        if self.wait not in WAIT_MODES:
            raise ConfigError(f"unknown wait mode {self.wait!r}; choose one of {', '.join(WAIT_MODES)}")
        if self.desired_count < 1:
            raise ConfigError("--desired-count must be at least 1")
        if self.certificate_arn is not None and not self.certificate_arn.startswith("arn:"):
            raise ConfigError(f"--certificate-arn takes a certificate's ARN, not {self.certificate_arn!r}")
        check_options(self.domain, self.hosted_zone_id, self.certificate_arn)
