"""Service Quotas: an account's applied quota value, else AWS's default for it.

GetServiceQuota answers the applied value; where a quota has none it answers NoSuchResourceException, and
GetAWSDefaultServiceQuota gives AWS's default
(https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html,
https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html).
Both are best-effort reads for `preflight`: one attempt each (an emulator that lacks the operation answers
500, which the standard retry mode would retry for seconds), and any refusal becomes "no answer", said so.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from humangov_deploy.aws.call import error_code
from humangov_deploy.clients import AwsClients


@dataclass(frozen=True)
class QuotaValue:
    value: float | None  # None: no answer
    source: str  # "applied" (GetServiceQuota), "aws-default" (GetAWSDefaultServiceQuota), or why none


def best_effort(clients: AwsClients) -> AwsClients:
    """Clients like `clients` (same session, region, endpoint) that try each call once."""
    return AwsClients(
        region=clients.region, endpoint_url=clients.endpoint_url, session=clients.session, max_attempts=1
    )


def applied_quota(clients: AwsClients, service_code: str, quota_code: str) -> QuotaValue:
    quotas = clients.client("service-quotas")
    try:
        quota = quotas.get_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]
    except ClientError as exc:
        return QuotaValue(None, f"GetServiceQuota: {error_code(exc)}")
    except (BotoCoreError, NotImplementedError) as exc:  # moto in process raises NotImplementedError
        return QuotaValue(None, f"GetServiceQuota: {type(exc).__name__}")
    return QuotaValue(float(quota["Value"]), "applied") if "Value" in quota else QuotaValue(None, "no value")


def default_quota(clients: AwsClients, service_code: str, quota_code: str) -> QuotaValue:
    quotas = clients.client("service-quotas")
    try:
        quota = quotas.get_aws_default_service_quota(ServiceCode=service_code, QuotaCode=quota_code)["Quota"]
    except ClientError as exc:
        return QuotaValue(None, f"GetAWSDefaultServiceQuota: {error_code(exc)}")
    except (BotoCoreError, NotImplementedError) as exc:
        return QuotaValue(None, f"GetAWSDefaultServiceQuota: {type(exc).__name__}")
    return (
        QuotaValue(float(quota["Value"]), "aws-default") if "Value" in quota else QuotaValue(None, "no value")
    )
