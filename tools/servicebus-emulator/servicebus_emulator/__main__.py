"""`python -m servicebus_emulator --config FILE [--host H] [--port P] [--health-port P] [--data DIR]`

Prints one line starting with `servicebus-emulator ready:` (with the bound ports and the connection
string) once it accepts connections; runs until SIGTERM or Ctrl-C. `--port 0` picks a free port,
`--health-port 0` turns the health/admin port off and `-1` picks a free one. `--data DIR` is durable mode.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

STARTED = time.perf_counter()


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m servicebus_emulator",
                                     description="Embedded Azure Service Bus emulator (AMQP 1.0).")
    parser.add_argument("--config", required=True, type=Path, help="official emulator Config.json")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5672, help="AMQP port; 0 picks a free one")
    parser.add_argument("--health-port", type=int, default=5300,
                        help="health/admin HTTP port; 0 disables it, -1 picks a free one")
    parser.add_argument("--data", type=Path, default=None, help="durable mode: keep messages in DIR")
    parser.add_argument("--max-message-size", type=int, default=256 * 1024, help="bytes (default 256 KB)")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default), ERROR")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("proton").setLevel(logging.CRITICAL)  # it logs every client that hangs up as an error
    from servicebus_emulator.app import Emulator, Options
    from servicebus_emulator.errors import ConfigError

    options = Options(args.config, args.host, args.port, args.health_port, args.data, args.max_message_size)
    try:
        emulator = Emulator(options).start()
    except ConfigError as exc:
        print(f"servicebus-emulator: invalid config: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"servicebus-emulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 3
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    health = f"http://{args.host}:{emulator.health_port}/health" if emulator.health_port else "off"
    mode = f"durable ({args.data}, {emulator.restored} messages restored)" if args.data else "in-memory"
    print(f"servicebus-emulator ready: amqp={args.host}:{emulator.port} health={health} mode={mode} "
          f"startup={time.perf_counter() - STARTED:.3f}s connection=\"{emulator.connection_string}\"",
          flush=True)
    while not stop.wait(0.5):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
