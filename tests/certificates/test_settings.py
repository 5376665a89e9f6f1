"""The certificate secret is a secret like the others; production QR codes need a public address."""

from __future__ import annotations

import pytest

from server.certificates import service
from server.common.errors import DomainError
from server.settings import DEV_SECRETS, InsecureSettings, load_settings

STRONG = {
    "jwt_secret": "j" * 40,
    "wechat_secret": "real-wechat-secret",
    "wechat_token": "real-callback-token",
}


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize("secret", [DEV_SECRETS["certificate_secret"], "short-secret"])
def test_a_default_or_weak_certificate_secret_is_refused_outside_development(env, secret):
    settings = load_settings(env=env, certificate_secret=secret, **STRONG)
    with pytest.raises(InsecureSettings) as err:
        settings.check_secrets()
    assert "SONGJIAO_CERTIFICATE_SECRET" in str(err.value)
    assert "SONGJIAO_JWT_SECRET" not in str(err.value)
    load_settings(env=env, certificate_secret="c" * 40, **STRONG).check_secrets()


def test_development_has_a_default_certificate_secret():
    settings = load_settings(env="development")
    assert settings.certificate_secret == DEV_SECRETS["certificate_secret"]
    settings.check_secrets()


def test_production_will_not_print_a_qr_code_of_the_internal_address():
    settings = load_settings(env="production", certificate_secret="c" * 40, **STRONG)
    with pytest.raises(DomainError) as err:
        service._base_url(settings)
    assert err.value.status == 503 and "SONGJIAO_PUBLIC_BASE_URL" in err.value.message
    public = load_settings(
        env="production",
        certificate_secret="c" * 40,
        public_base_url="https://sjt.example.cn",
        **STRONG,
    )
    assert service._base_url(public) == "https://sjt.example.cn"
