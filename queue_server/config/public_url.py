"""Whether visitors' phones can reach ``[hall] public_url``, and what to set it to.

Every ticket's QR code, the phone page (/t/CODE) and the printed guides' QR codes use it. A
phone on the hall's Wi-Fi cannot open this machine's loopback address, nor the sample config's
placeholder (an address reserved for documentation, RFC 5737, that no network routes).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

# Documentation addresses (RFC 5737) and names (RFC 2606): what a placeholder looks like.
_PLACEHOLDER_NETS = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
_PLACEHOLDER_SUFFIXES = (".example", ".invalid", ".test")


def public_url_problem(public_url: str | None) -> str | None:
    """Why phones cannot reach ``public_url`` (not set, loopback, a placeholder), or None."""
    if public_url is None:
        return "[hall] public_url is not set"
    host = (urlsplit(public_url).hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return f"[hall] public_url {public_url} is a loopback address"
        if host.endswith(_PLACEHOLDER_SUFFIXES) or host in ("example.com", "example.org", "example.net"):
            return f"[hall] public_url {public_url} is a placeholder"
        return None
    if address.is_loopback:
        return f"[hall] public_url {public_url} is a loopback address"
    if any(address in net for net in _PLACEHOLDER_NETS):
        return f"[hall] public_url {public_url} is a placeholder (a documentation address)"
    return None


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, best guess first: the one it would
    use to reach a private network (a UDP socket is connected, nothing is sent), then the
    host name's."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 9))
            found.append(probe.getsockname()[0])
    except OSError:
        pass  # no route at all: only the host name's addresses, if any
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(info[4][0])
    except OSError:
        pass
    out = []
    for address in found:
        if not ipaddress.ip_address(address).is_loopback and address not in out:
            out.append(address)
    return out


def suggestion(port: int) -> str:
    """What to set ``public_url`` to, in a sentence for the server's log."""
    addresses = lan_addresses()
    if not addresses:
        return f"e.g. http://192.168.1.10:{port}"
    return "this machine's address on the network is " + " or ".join(f"http://{a}:{port}" for a in addresses)
