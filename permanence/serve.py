"""`permanence serve`: the store, the FastAGI server, the AMI listener and the web app in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from agi import FastAGIServer, Router
from agi.routes import (
    AgentRoute,
    CheckinPolicy,
    CheckinRoute,
    DispatchRoute,
    DnisRoute,
    IvrRoute,
    MenuBook,
    OncallRoute,
    OncallSettings,
    OverflowRoute,
)
from ami import AMIClient, CallListener, Reconciler, make_client
from ami.callbacks import AmiDialer, CallbackScheduler, CallbackSettings
from ami.control import action_connection, member_connection
from ami.live import LiveState
from ami.members import AgentPresence
from ami.originate import Originator
from ami.screenpop import ScreenPops
from dialplan import AgentPhone, AsteriskSettings, QueueMember, Softphone
from dialplan.deploy import ControlError, Deployer
from dispatch.reports import DailyReports
from dispatch.scheduler import Dispatcher
from ivr.loader import parse
from store import Store, agents, connect, menus, migrate, queues
from store.callbacks import RetryPolicy
from web import make_app
from web.access import JsonAccessLogger, access_logger
from web.admin import AdminSettings
from web.messages import MessagingSettings
from web.security import SecuritySettings
from web.sessions import SessionPolicy

from .config import Config
from .dispatching import channels
from .operations import health_checks, metrics_registry

log = logging.getLogger("permanence")


@dataclass(frozen=True)
class AsteriskData:
    """What Asterisk's configuration takes from the store: queues, agents and who answers which queue."""
    queues: tuple[str, ...] = ()
    agents: tuple[AgentPhone, ...] = ()
    members: tuple[QueueMember, ...] = ()
    queue_definitions: tuple[queues.Queue, ...] = ()


def asterisk_data(config: Config) -> AsteriskData:
    """Every queue the active menus name and the team leaders' queue; the agents and their queues; the
    stored queue definitions."""
    migrate(config.store.path)
    db = connect(config.store.path)
    try:
        active = menus.active_menus(db)
        phones = tuple(AgentPhone(a.id, a.name, a.sip_ha1) for a in agents.list_agents(db))
        members = tuple(QueueMember(m.queue, m.agent_id, m.penalty) for m in agents.list_members(db))
        stored = tuple(queues.list_queues(db))
    finally:
        db.close()
    names = {config.ivr.team_leader_queue}
    for item in active.values():
        for node in parse(item.body, item.name).nodes.values():
            queue = getattr(node, "queue", None)
            if isinstance(queue, str) and queue:
                names.add(queue)
    return AsteriskData(tuple(sorted(names)), phones, members, stored)


def asterisk_settings(config: Config, data: AsteriskData | None = None) -> AsteriskSettings:
    a = config.asterisk
    phones = (Softphone(a.softphone_user, a.softphone_secret),) if a.softphone_secret else ()
    return AsteriskSettings(
        sip_host=a.sip_host, sip_port=a.sip_port, rtp_start=a.rtp_start, rtp_end=a.rtp_end,
        ami_host=config.ami.host, ami_port=config.ami.port, ami_user=config.ami.user,
        ami_secret=config.ami.secret, ami_action_user=config.ami.action_user,
        ami_action_secret=config.ami.action_secret, ami_originate_user=config.ami.originate_user,
        ami_originate_secret=config.ami.originate_secret, agi_host=config.agi.host, agi_port=config.agi.port,
        recordings_dir=a.recordings_dir, prompts_dir=a.prompts_dir, softphones=phones,
        carrier_match=a.carrier_match, external_address=a.external_address, local_net=a.local_net,
        fallback_queue=config.ivr.fallback_queue, queues=data.queues if data else (),
        agents=data.agents if data else (), members=data.members if data else (),
        queue_definitions=data.queue_definitions if data else (),
    )


def asterisk_deployer(config: Config, presence: AgentPresence | None = None) -> Deployer:
    """Check and reload for the admin API: rendered from the configuration and the store at each call; the
    reload writes into [asterisk] config_dir and logs in as the action user (off without either)."""
    a = config.ami
    connect = (lambda: action_connection(a.host, a.port, a.action_user, a.action_secret)) if a.action_secret else None
    live = Path(config.asterisk.config_dir) if config.asterisk.config_dir else None
    return Deployer(lambda: asterisk_settings(config, asterisk_data(config)), live, connect,
                    after_queues=presence.reconcile if presence is not None else None)


def agent_presence(config: Config, store: Store) -> AgentPresence | None:
    """Agents' logins and pauses, applied to Asterisk as the action user (None without its secret)."""
    a = config.ami
    if not a.action_secret:
        return None
    return AgentPresence(store, lambda: member_connection(a.host, a.port, a.action_user, a.action_secret))


def build_router(store: Store, config: Config, wake_dispatch: Callable[[], None] = lambda: None,
                 presence: AgentPresence | None = None) -> Router:
    prompts = config.asterisk.prompts_dir
    policy = CheckinPolicy(
        team_leader_queue=config.ivr.team_leader_queue, attempts_per_call=config.ivr.checkin_attempts,
        lock_after=config.ivr.checkin_lock_after, lock_for=timedelta(minutes=config.ivr.checkin_lock_minutes))
    router = Router()
    router.add("dnis", DnisRoute(store, config.phone.default_region))
    # Callbacks are offered only when the back end can originate them.
    overflow = OverflowRoute(store, prompts, callbacks=callback_dial(config) is not None,
                             default_region=config.phone.default_region)
    router.add("ivr", IvrRoute(store, MenuBook(store), prompts, queue_settings=overflow.queue_settings))
    router.add("checkin", CheckinRoute(store, prompts, policy, config.phone.default_region))
    router.add("dispatch", DispatchRoute(store, prompts, config.asterisk.recordings_dir, wake_dispatch,
                                         config.recordings_dir))
    router.add("overflow", overflow)
    router.add("oncall", OncallRoute(store, OncallSettings(config.phone.outbound, config.phone.ring_s,
                                                           config.phone.oncall_caller_id)))
    if presence is not None:  # the phone's feature codes need the action user, as the API's logins do
        router.add("agent", AgentRoute(store, presence))
    return router


def callback_dial(config: Config) -> str | None:
    """How a callback reaches its caller; None when it cannot be placed (no originate user, no way out)."""
    if not config.ami.originate_secret:
        return None
    if config.callback.dial:
        return config.callback.dial
    return f"PJSIP/carrier/sip:{{number}}@{config.phone.outbound}" if config.phone.outbound else None


def callback_scheduler(config: Config, store: Store, live: LiveState) -> CallbackScheduler | None:
    """Callbacks originate on the originate user's connections; without its secret there are none."""
    a, c = config.ami, config.callback
    dial = callback_dial(config)
    if dial is None:
        return None
    policy = RetryPolicy(max_attempts=c.max_attempts, retry_after_s=c.retry_after_s)
    settings = CallbackSettings(dial=dial, ring_s=c.ring_s, agent_ring_s=c.agent_ring_s, policy=policy,
                                interval_s=c.interval_s)
    return CallbackScheduler(store, live, AmiDialer(a.host, a.port, a.originate_user, a.originate_secret), settings)


def web_security(config: Config) -> SecuritySettings:
    w = config.web
    return SecuritySettings(
        sessions=SessionPolicy(idle=timedelta(minutes=w.session_idle_minutes),
                               lifetime=timedelta(hours=w.session_lifetime_hours)),
        failures_per_account=w.login_failures_per_account, failures_per_address=w.login_failures_per_address,
        failure_window=timedelta(minutes=w.login_window_minutes),
        trusted_proxies=tuple(p.strip() for p in w.trusted_proxies.split(",") if p.strip()))


async def serve(config: Config, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

    config.recordings_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.store.path)
    await asyncio.to_thread(store.open)
    presence = agent_presence(config, store)
    # A wrap-up lasts its queue's wrapuptime (store.queues: what the queue is rendered with).
    live = LiveState(wrap_up_s=lambda queue: float(
        store.read_now(lambda db: queues.queue_or_default(db, queue).wrapup_s)))
    a = config.ami
    originator = Originator(a.host, a.port, a.originate_user, a.originate_secret) if a.originate_secret else None
    # Messages to whoever confirms them; the alerts of those that reached nobody go to the live view.
    dispatch_channels = channels(config, originator)
    dispatcher = Dispatcher(store, dispatch_channels, poll_interval=config.dispatch.poll_interval,
                            on_alerts=live.set_alerts)
    # Each client's daily report at its local time, emailed by the same SMTP client.
    reporter = DailyReports(store, dispatch_channels.email)
    agi = FastAGIServer(build_router(store, config, dispatcher.wake, presence), config.agi.host, config.agi.port,
                        header_timeout=config.agi.header_timeout,
                        command_timeout=config.agi.command_timeout, max_sessions=config.agi.max_sessions)
    pops = ScreenPops(store, live, config.phone.default_region)
    listener = CallListener(store, config.recordings_dir, live=live, observers=(pops.feed,))
    # Zero loss: what AMI did not tell us (we were down, or disconnected) is in Asterisk's CEL.
    reconciler = Reconciler(listener, config.asterisk.cel_db, interval=config.ami.reconcile_interval)

    async def on_connect(client: AMIClient) -> None:
        await reconciler.on_connect(client)  # first the calls, then the live view built from them
        await listener.resync_live(client)
        if presence is not None:  # Asterisk may have restarted: who is logged in goes back into its queues
            try:
                await presence.reconcile()
            except ControlError as exc:
                log.warning("agents not reconciled with Asterisk: %s", exc)

    ami = make_client(listener, config.ami.host, config.ami.port, config.ami.user, config.ami.secret,
                      config.ami.ping_interval, on_connect=on_connect)

    scheduler = callback_scheduler(config, store, live)
    app = make_app(store, config.recordings_dir, token_ttl=timedelta(hours=config.web.token_ttl_hours),
                   health_checks=health_checks(agi, ami), live=live, security_settings=web_security(config),
                   registry=metrics_registry(agi, ami, listener), metrics_token=config.web.metrics_token,
                   admin_settings=AdminSettings(config.prompts_dir, config.phone.default_region,
                                                asterisk_deployer(config, presence)),
                   pops=pops, originator=originator,
                   messaging=MessagingSettings(config.sms.inbound_token, config.phone.default_region,
                                               dispatcher.wake),
                   agent_presence=presence)
    runner = web.AppRunner(app, access_log_class=JsonAccessLogger, access_log=access_logger())
    ami_task: asyncio.Task[None] | None = None
    reconcile_task: asyncio.Task[None] | None = None
    dispatch_task: asyncio.Task[None] | None = None
    report_task: asyncio.Task[None] | None = None
    callback_task: asyncio.Task[None] | None = None
    try:
        await agi.start()
        await runner.setup()
        await web.TCPSite(runner, config.web.host, config.web.port).start()
        log.info("web app on http://%s:%d", config.web.host, config.web.port)
        reconcile_task = asyncio.create_task(reconciler.run_periodically(), name="cel-reconcile")
        ami_task = asyncio.create_task(ami.run(), name="ami")
        dispatch_task = asyncio.create_task(dispatcher.run(), name="dispatch")
        report_task = asyncio.create_task(reporter.run(), name="daily-reports")
        if scheduler is not None:
            callback_task = asyncio.create_task(scheduler.run(), name="callbacks")
        await stop.wait()
        log.info("stopping")
    finally:
        await ami.close()
        if scheduler is not None:
            await scheduler.close()
        for task in (reconcile_task, ami_task, dispatch_task, report_task, callback_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await listener.drain()
        await pops.drain()
        await dispatch_channels.close()
        await agi.close()
        await runner.cleanup()
        await asyncio.to_thread(store.close)
