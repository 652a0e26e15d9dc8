"""Port choice: the usual ports when free, another free one when not; a busy explicit port is an error."""

from __future__ import annotations

from dataclasses import dataclass

from localdev.stack.processes import StackError, free_port, port_open


@dataclass(frozen=True)
class Ports:
    blob: int
    queue: int
    table: int
    servicebus: int
    http: int
    servicebus_admin: int  # the emulator's health/admin HTTP port (its admin CLI's default is 5300)


DEFAULTS = Ports(blob=10000, queue=10001, table=10002, servicebus=5672, http=7071, servicebus_admin=5300)
OPTIONS = {
    "blob": "--blob-port",
    "queue": "--queue-port",
    "table": "--table-port",
    "servicebus": "--servicebus-port",
    "http": "--http-port",
    "servicebus_admin": "--servicebus-admin-port",
}


def choose_ports(requested: dict[str, int | None]) -> tuple[Ports, list[str]]:
    """Ports to use and notes about defaults that were busy."""
    chosen: dict[str, int] = {}
    notes = []
    for name, option in OPTIONS.items():
        wanted = requested.get(name)
        if wanted is not None:
            if port_open(wanted):
                raise StackError(
                    f"Port {wanted} ({option}) is already in use. Stop whatever holds it "
                    f"(`ss -ltnp | grep :{wanted}`), or pick another with {option}."
                )
            chosen[name] = wanted
            continue
        default = getattr(DEFAULTS, name)
        if port_open(default) or default in chosen.values():
            chosen[name] = free_port()
            notes.append(f"port {default} is busy, so {name} uses {chosen[name]} (choose with {option})")
        else:
            chosen[name] = default
    return Ports(**chosen), notes
