"""The local platform's settings as pure functions: names, the LB's health checks, stats parsing."""

from __future__ import annotations

import re

import pytest

from humangov_deploy import appsrc
from humangov_deploy.build import images
from humangov_deploy.platforms.local import spec

# The header HAProxy 2.6 (Debian bookworm) prints on `/stats;csv`, cut after check_status, and rows as
# it reports a task that is up, one going down (1 of 2 failed checks) and one not resolved yet.
STATS = """\
# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,
http,FRONTEND,,,0,1,4096,1,82,109,0,0,0,,,,,OPEN,,,,,,,,,1,1,0,,,,0,1,0,1,,
tasks,task-1,0,0,0,1,,5,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,12,0,,1,3,1,,5,,2,0,,1,L7OK,
tasks,task-2,0,0,0,1,,5,0,0,,0,,0,0,0,0,UP 1/2,1,1,0,1,0,12,0,,1,3,2,,5,,2,0,,1,L4CON,
tasks,task-3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT (resolution),1,1,0,0,1,12,12,,1,3,3,,0,,2,0,,0,,
tasks,BACKEND,0,0,0,1,410,10,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,12,0,,1,3,0,,10,,1,0,,1,,
"""  # noqa: E501


def test_stats_parsing_reports_only_fully_up_servers_as_healthy() -> None:
    servers = spec.parse_stats_csv(STATS)
    assert set(servers) == {"task-1", "task-2", "task-3"}
    assert {name: s.healthy for name, s in servers.items()} == {
        "task-1": True,
        "task-2": False,
        "task-3": False,
    }
    assert servers["task-2"].check == "L4CON"
    assert spec.parse_stats_csv(STATS, backend="other") == {}


@pytest.mark.parametrize("count", [1, 2, 3])
def test_lb_config_has_one_server_per_slot_on_nginx(count: int) -> None:
    config = spec.lb_config(count)
    servers = re.findall(r"^\s+server (\S+) (\S+)$", config, flags=re.MULTILINE)
    assert servers == [(f"task-{i}", f"task-{i}:{images.NGINX_PORT}") for i in range(1, count + 1)]


def test_lb_health_checks_are_active_and_fast() -> None:
    config = spec.lb_config(2)
    assert f"http-check send meth GET uri {spec.HEALTH_PATH}" in config
    assert "http-check expect status 200" in config
    defaults = next(line for line in config.splitlines() if line.strip().startswith("default-server"))
    words = defaults.split()
    setting = {words[i]: words[i + 1] for i in range(1, len(words) - 1)}
    # Out after 2 failed checks 1 s apart, back after 1 good one: seconds, not the ALB's minutes.
    assert setting["inter"] == "1s" and setting["fall"] == "2" and setting["rise"] == "1"
    assert "resolvers" in setting  # a replacement task (new address) is found without a reload
    # A slow answer (a busy machine) is not a failed check: its read timeout is longer than the interval.
    backend = config.split("backend tasks", 1)[1]
    assert re.search(r"^\s+timeout check 3s$", backend, flags=re.MULTILINE)
    assert f"bind :{spec.LB_PORT}" in config and f"bind :{spec.LB_STATS_PORT}" in config


def test_lb_never_retries_a_write_that_reached_a_task() -> None:
    config = spec.lb_config(2)
    assert "retry-on all-retryable-errors" in config
    backend = config.split("backend tasks", 1)[1]
    assert "http-request disable-l7-retry if !METH_GET" in backend


def test_sidecar_listens_on_the_emulators_host_port_inside_the_task() -> None:
    config = spec.sidecar_config(32768, "humangov-texas-emulator")
    assert "bind 127.0.0.1:32768" in config
    assert f"server emulator humangov-texas-emulator:{spec.EMULATOR_PORT}" in config
    assert "mode tcp" in config


def test_slots_alternate_between_the_two_zones() -> None:
    assert [spec.zone_of_slot(s) for s in range(1, 5)] == ["zone-a", "zone-b", "zone-a", "zone-b"]
    assert len(set(spec.ZONES)) == 2


@pytest.mark.parametrize("state", appsrc.states())
def test_every_name_carries_the_state_and_is_a_valid_docker_name(state: str) -> None:
    names = spec.LocalNames(state)
    every = [
        *names.networks,
        names.emulator,
        names.lb,
        names.task("0123456789ab"),
        names.task_container("x", "app"),
    ]
    for name in every:
        assert name.startswith(f"humangov-{state}-")
        assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", name)
    assert len(set(every)) == len(every)


def test_names_of_two_states_never_collide() -> None:
    # new-york's names must not be a prefix trap for new's (no such state, but the rule is general).
    a, b = spec.LocalNames("virginia"), spec.LocalNames("west-virginia")
    assert set(a.networks).isdisjoint(b.networks)
    assert spec.state_filter("virginia") != spec.state_filter("west-virginia")


def test_fingerprint_is_stable_and_sensitive() -> None:
    assert spec.fingerprint({"a": 1, "b": 2}) == spec.fingerprint({"b": 2, "a": 1})
    assert spec.fingerprint({"a": 1}) != spec.fingerprint({"a": 2})


def test_app_environment_points_at_the_state_and_the_emulator() -> None:
    env = spec.app_environment(
        state="texas",
        region="us-east-2",
        table="humangov-texas-dynamodb",
        bucket="humangov-texas-s3-abcd",
        endpoint_url="http://127.0.0.1:5",
        secret_key="k" * 32,
    )
    assert env["US_STATE"] == "texas" and env["AWS_REGION"] == "us-east-2"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5"
    assert env["AWS_ACCESS_KEY_ID"] == spec.EMULATOR_ACCESS_KEY  # never the developer's real keys


def frontend(config: str, name: str) -> str:
    """The lines of one `frontend` section of a rendered HAProxy config."""
    return config.split(f"frontend {name}\n", 1)[1].split("\n\n", 1)[0]


def test_lb_config_with_https_terminates_tls_and_redirects_http() -> None:
    config = spec.lb_config(2, https_port=43210)
    https = frontend(config, "https")
    assert f"bind :{spec.LB_HTTPS_PORT} ssl crt {spec.LB_CERT_PATH}" in https
    assert "default_backend tasks" in https
    # The LB says the scheme itself, replacing a client's header: nginx's HSTS and the Secure cookie.
    assert "http-request set-header X-Forwarded-Proto https" in https
    assert "ssl-min-ver TLSv1.2" in config.split("defaults", 1)[0]  # every TLS bind: no TLS 1.0/1.1
    http = frontend(config, "http")
    assert f"bind :{spec.LB_PORT}" in http
    # 301 to a fixed host and the published HTTPS port (never the Host header: no open redirect).
    assert "http-request redirect prefix https://127.0.0.1:43210 code 301" in http
    assert "default_backend" not in http


def test_lb_config_without_https_serves_http_and_says_so() -> None:
    config = spec.lb_config(2)
    assert "ssl" not in config and "frontend https" not in config
    http = frontend(config, "http")
    assert "http-request set-header X-Forwarded-Proto http" in http
    assert "default_backend tasks" in http
