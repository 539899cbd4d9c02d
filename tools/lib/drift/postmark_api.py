"""`PostmarkDomainsApi` for one account token: list every domain (paged), get one by id."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests

DEFAULT_POSTMARK_API_URL = "https://api.postmarkapp.com"
PAGE_SIZE = 500  # the API's maximum `count`


class PostmarkApiError(Exception):
    pass


def postmark_api_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("POSTMARK_API_URL") or DEFAULT_POSTMARK_API_URL).rstrip("/")


class RequestsDomainsApi:
    def __init__(self, token: str, base_url: str, *, timeout: float = 10.0) -> None:
        self._base_url = base_url
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "X-Postmark-Account-Token": token})

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            response = self._session.get(self._base_url + path, params=params, timeout=self._timeout)
        except requests.RequestException as exc:
            raise PostmarkApiError(f"GET {path}: {type(exc).__name__}") from exc
        if response.status_code == 401:
            raise PostmarkApiError(f"GET {path}: HTTP 401 (the account token was rejected)")
        if response.status_code >= 400:
            raise PostmarkApiError(f"GET {path}: HTTP {response.status_code}")
        return response.json()

    def list_domains(self) -> list[Mapping[str, Any]]:
        domains: list[Mapping[str, Any]] = []
        while True:
            page = self._get("/domains", {"count": PAGE_SIZE, "offset": len(domains)})
            batch = page.get("Domains") or []
            domains.extend(batch)
            if not batch or len(domains) >= int(page.get("TotalCount", 0)):
                return domains

    def get_domain(self, domain_id: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self._get(f"/domains/{domain_id}")
        return result


def make_domains_api(token: str, base_url: str) -> RequestsDomainsApi:
    return RequestsDomainsApi(token, base_url)
