"""The `entitle` command: demo, serve, worker, and every Django management command."""

import argparse
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _granian(
    host: str,
    port: int,
    workers: int,
    blocking_threads: int,
    backpressure: int,
    kill_timeout: int,
) -> list[str]:
    # Without a kill timeout, granian told to stop while its workers are still starting waits
    # for them forever (and ignores any further signal): the timeout bounds every shutdown.
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(blocking_threads),
        "--backpressure",
        str(backpressure),
        "--workers-kill-timeout",
        str(kill_timeout),
        "config.wsgi:application",
    ]


def _prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)


def demo(args: argparse.Namespace) -> int:
    url = f"http://127.0.0.1:{args.port}"
    os.environ.setdefault("ENTITLE_PORTAL_URL", url)
    # The demo's webhook receiver and identity provider run on this machine.
    os.environ.setdefault("ENTITLE_ALLOW_PRIVATE_TARGETS", "true")
    _setup()
    from entitle import demo as demo_world
    from entitle.webhooks.receiver import Receiver

    print("Preparing the database…", flush=True)
    _prepare_database()
    provider = _start_identity_provider(args.port + 2)
    receiver = Receiver(port=args.port + 1, on_receive=_print_webhook).start()
    receiver.answer(503)  # the first delivery fails once: the log shows its retry
    try:
        issuer = f"http://127.0.0.1:{args.port + 2}" if provider else None
        users = demo_world.load(webhook_url=receiver.url, issuer=issuer)
        receiver.secret = demo_world.webhook_secret()
        _print_demo(url, demo_world, users, receiver.url, issuer)
        processes = [
            _granian(
                "127.0.0.1",
                args.port,
                workers=1,
                blocking_threads=4,
                backpressure=64,
                kill_timeout=5,
            ),
            [sys.executable, "-m", "entitle.cli", "worker"],
        ]
        return _run_together(processes, also=[provider] if provider else [])
    finally:
        receiver.stop()
        if provider and provider.poll() is None:
            provider.terminate()
            provider.wait(timeout=10)


def _start_identity_provider(port: int) -> "subprocess.Popen | None":
    """oidc-provider-mock, if installed: a local OpenID Connect provider for Globex's single
    sign-on. It stops with the demo."""
    import importlib.util
    import urllib.request

    if importlib.util.find_spec("oidc_provider_mock") is None:
        return None
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1
            )
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None


def _print_webhook(received) -> None:
    payload = received.payload
    verified = "signature verified" if received.verified else "signature NOT verified"
    print(f"[webhook receiver] {payload.get('type')} ({verified})", flush=True)


def _print_demo(url, demo_world, users, webhook_url, issuer) -> None:
    print(f"\nEntitle demo: {url}/  (API docs: {url}/api/v1/docs)")
    print(f"Log in with any of these; the password is “{demo_world.DEMO_PASSWORD}”:")
    for user in users:
        print(f"  {user.email:<26} {user.company} — {user.what}")
    second = demo_world.second_factor()
    print(
        f"Two-factor sign-in of {second.email}: add the key {second.key} to an authenticator "
        f"app, or use the recovery code {second.recovery_code} (once)."
    )
    if issuer:
        print(
            f"Single sign-on: log in as anyone@globex.example with “Continue with single "
            f"sign-on”; the local provider ({issuer}) lets you type any subject."
        )
    print(f"Northwind's webhook receiver listens at {webhook_url}; deliveries are printed here.")
    print(f"The ERP's API token (record and fulfil POs, see the README): {demo_world.erp_token()}")
    print("Digital vouchers waiting to be redeemed (Digital Vouchers tab):")
    for voucher in demo_world.unredeemed_vouchers():
        po_number = voucher.line.po.po_number
        print(f"  {voucher.code}  {voucher.credits} × {voucher.sku.code} (PO {po_number})")
    print("E-mail is printed here, in this terminal. Ctrl-C stops the demo.\n", flush=True)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a child, before exec: the kernel sends SIGTERM if the parent dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class _Stop(Exception):
    """Raised in the main loop by SIGTERM or SIGINT."""


def _run_together(commands: list[list[str]], also: list[subprocess.Popen] = ()) -> int:
    """Run the server and the task worker side by side (with `also`, processes already started,
    such as the demo's identity provider); stop them all when any stops.

    SIGTERM and SIGINT (Ctrl-C) are passed on to both children, which stop their own workers;
    a child still running after fifteen seconds is killed with its process group. The children are
    in process groups of their own, so that a terminal's Ctrl-C reaches them once, through here.
    """

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    processes: list[subprocess.Popen] = list(also)
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent)  # noqa: S603
            )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except _Stop:
        pass
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return max(process.returncode or 0 for process in processes)


def serve(args: argparse.Namespace) -> int:
    _setup()
    command = _granian(
        args.host,
        args.port,
        workers=args.workers,
        blocking_threads=args.blocking_threads,
        backpressure=args.backpressure,
        kill_timeout=args.workers_kill_timeout,
    )
    os.execv(sys.executable, command)  # noqa: S606 — replace this process with the server
    return 0


def worker(args: argparse.Namespace, rest: list[str]) -> int:
    _setup()
    from django.core.management import call_command

    from entitle.core.workers import start_watchman
    from entitle.renewals.tasks import book_today

    # Unique per process: the tasks a dead worker was running are put back by its id.
    worker_id = (
        args.worker_id or f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"
    )
    start_watchman(worker_id)
    # The daily reminder sweep is a chain of booked tasks (see entitle/renewals/tasks.py):
    # starting a worker books today's run if nothing has, which also restarts a lost chain.
    book_today()
    call_command("db_worker", "--worker-id", worker_id, *rest)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="entitle",
        description="Entitle: software licences and entitlements. Any other command is a "
        "Django management command (migrate, createsuperuser, shell, …).",
    )
    sub = parser.add_subparsers(dest="command")
    p_demo = sub.add_parser("demo", help="Set up the demo world on SQLite and serve the portal.")
    p_demo.add_argument("--port", type=int, default=8000)
    p_serve = sub.add_parser("serve", help="Run the production server (granian, WSGI).")
    p_serve.add_argument("--host", default=os.environ.get("ENTITLE_HOST", "0.0.0.0"))  # noqa: S104
    p_serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p_serve.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p_serve.add_argument("--blocking-threads", type=int, default=2)
    p_serve.add_argument("--backpressure", type=int, default=128)
    p_serve.add_argument(
        "--workers-kill-timeout",
        type=int,
        default=30,
        help="Seconds a worker may take to finish its requests when stopped (then killed).",
    )
    p_worker = sub.add_parser("worker", help="Run the task worker (e-mail, scheduled work).")
    p_worker.add_argument(
        "--worker-id", help="Unique among the running workers (default: host, pid, random)."
    )

    if argv and argv[0] in {"demo", "serve", "worker"}:
        args, rest = parser.parse_known_args(argv)
        if args.command == "worker":
            return worker(args, rest)
        if rest:
            parser.error(f"unrecognised arguments: {' '.join(rest)}")
        return demo(args) if args.command == "demo" else serve(args)
    if not argv or argv[0] in {"-h", "--help"}:
        parser.print_help()
        return 0
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["entitle", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
