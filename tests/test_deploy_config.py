"""Deployment files: .env.example, docker compose, systemd units and nginx stay in step."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

from bots.official_account.views import PATH as CALLBACK_PATH
from server.settings import Settings

CONFIG = Path(__file__).resolve().parent.parent / "config"


def env_example() -> dict[str, str]:
    """config/.env.example read as systemd reads an EnvironmentFile (quotes stripped)."""
    values = {}
    for line in (CONFIG / ".env.example").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def test_env_example_lists_every_setting_and_nothing_else():
    text = (CONFIG / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*SONGJIAO_([A-Z0-9_]+)=", text, re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert not fields - listed, f"add to config/.env.example: {sorted(fields - listed)}"
    assert not listed - fields, f"not a setting: {sorted(listed - fields)}"


def test_env_example_values_load_as_settings(monkeypatch):
    values = env_example()
    assert all(" #" not in v for v in values.values()), "a comment after a value stays in it"
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.env == "production" and settings.wecom_groups == {
        "leaders": "CHANGE-ME-webhook-key"
    }
    assert settings.metrics_token and not settings.embedded_redis


def test_compose_runs_two_apis_two_workers_one_scheduler_behind_nginx():
    compose = yaml.safe_load((CONFIG / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "api1", "api2", "worker", "scheduler", "nginx"} <= set(services)
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "deploy" not in services["scheduler"]
    for name in ("api1", "api2"):
        assert services[name]["command"] == ["songjiao", "serve", "--no-migrate"]
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    for mount in services["nginx"]["volumes"]:
        assert (CONFIG / mount.split(":")[0]).exists(), mount
    assert (CONFIG / services["api1"]["build"]["dockerfile"].removeprefix("config/")).exists()
    upstream = (CONFIG / "nginx" / "compose.conf").read_text()
    assert "server api1:8000" in upstream and "server api2:8000" in upstream


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((CONFIG / "systemd" / name).read_text())
    return parser


def test_systemd_units_restart_read_the_environment_file_and_are_hardened():
    commands = {
        "songjiao-api.service": "serve --no-migrate",
        "songjiao-worker@.service": "worker",
        "songjiao-scheduler.service": "scheduler",
    }
    for name, command in commands.items():
        service = unit(name)["Service"]
        assert service["Restart"] == "always", name
        assert service["EnvironmentFile"] == "/etc/songjiao/songjiao.env", name
        assert f"/bin/songjiao {command}" in service["ExecStart"], name
        for option in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "ProtectHome"):
            assert option in service, (name, option)
        assert service["User"] == "songjiao"
    assert "%i" in unit("songjiao-worker@.service")["Unit"]["Description"]


def test_nginx_streams_the_live_board_and_passes_the_callback_and_uploads():
    text = (CONFIG / "nginx" / "songjiao-proxy.conf").read_text()
    live = re.search(r"location ~ (\S+) \{(.*?)\n\}", text, re.DOTALL)
    assert re.match(live.group(1), "/api/v1/activities/12/live")
    assert "proxy_buffering off;" in live.group(2)
    timeout = re.search(r"proxy_read_timeout (\d+)s;", live.group(2))
    assert int(timeout.group(1)) >= 3600
    assert f"location = {CALLBACK_PATH} {{" in text
    body = re.search(r"^client_max_body_size (\d+)m;", text, re.MULTILINE)
    assert int(body.group(1)) > Settings().max_upload_mb
    assert "location = /metrics {\n    return 404;" in text
    site = (CONFIG / "nginx" / "songjiao.conf").read_text()
    assert "ssl_certificate " in site and "include /etc/nginx/snippets/songjiao-proxy.conf;" in site
