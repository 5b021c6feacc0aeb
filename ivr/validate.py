"""Is a Menu usable? Every field rule (ivr.checks), plus what needs the whole menu or the world:
targets, reachability, loops without input, languages, prompt files, other menus.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from ivr import checks
from ivr.model import (
    LanguageNode,
    Menu,
    MenuError,
    Node,
    OncallNode,
    PlayNode,
    Problem,
    SubmenuNode,
    TimeNode,
    prompt_fields,
)
from ivr.prompts import PromptError, PromptExists, split_ref


def validate(menu: Menu, *, prompt_exists: PromptExists, known_menus: Collection[str] = (),
             client_hours: bool | None = None, schedules: Collection[str] | None = None) -> None:
    """Raise MenuError listing every problem of the menu; return None if there is none.

    prompt_exists(ref, language) is asked about every prompt reference in every language of the
    menu; known_menus are the names a submenu node may enter; client_hours says whether the client
    has business hours for `hours: client` (None: not known here, not checked); schedules are the
    client's on-call schedules an oncall node may name (None: not known here, not checked).
    """
    found = problems(menu, prompt_exists=prompt_exists, known_menus=known_menus, client_hours=client_hours,
                     schedules=schedules)
    if found:
        raise MenuError(found)


def oncall_schedules(menu: Menu) -> set[str]:
    """The on-call schedules the menu's oncall nodes name."""
    return {node.schedule for node in menu.nodes.values() if isinstance(node, OncallNode)}


def problems(menu: Menu, *, prompt_exists: PromptExists, known_menus: Collection[str] = (),
             client_hours: bool | None = None, schedules: Collection[str] | None = None) -> list[Problem]:
    """validate()'s findings as a list (empty when the menu is usable)."""
    where = checks.for_menu(menu)
    found = list(checks.menu_problems(menu, where))
    for node in menu.nodes.values():
        found.extend(checks.node_problems(node, where))
    found.extend(_targets(menu, where))
    found.extend(_unreachable(menu, where))
    found.extend(_loops(menu, where))
    found.extend(_languages(menu, where))
    found.extend(_submenus(menu, where, known_menus))
    found.extend(_prompts(menu, where, prompt_exists))
    if client_hours is False:
        found.extend(where(node.name, "hours", f"hours: client, but client {menu.client} has no business hours "
                                               "yet (set them on the client first)")
                     for node in menu.nodes.values() if isinstance(node, TimeNode) and node.client_hours)
    if schedules is not None:
        known = ", ".join(sorted(schedules)) or "none"
        found.extend(where(node.name, "schedule", f"client {menu.client} has no on-call schedule "
                                                  f"'{node.schedule}' (it has: {known})")
                     for node in menu.nodes.values()
                     if isinstance(node, OncallNode) and checks.SCHEDULE_NAME.fullmatch(node.schedule)
                     and node.schedule not in schedules)
    return found


def _targets(menu: Menu, where: checks.Where) -> Iterator[Problem]:
    if menu.entry not in menu.nodes:
        yield where(None, "entry", f"node '{menu.entry}' does not exist")
    for node in menu.nodes.values():
        for field, target in node.targets():
            if target not in menu.nodes:
                yield where(node.name, field, f"target '{target}' does not exist")


def reachable(menu: Menu) -> set[str]:
    """Names of the nodes a call can reach from the entry node."""
    seen: set[str] = set()
    todo = [menu.entry]
    while todo:
        name = todo.pop()
        if name in seen or name not in menu.nodes:
            continue
        seen.add(name)
        todo.extend(target for _, target in menu.nodes[name].targets())
    return seen


def _unreachable(menu: Menu, where: checks.Where) -> Iterator[Problem]:
    if menu.entry not in menu.nodes:
        return  # already reported; everything would be unreachable
    seen = reachable(menu)
    for name in menu.nodes:
        if name not in seen:
            yield where(name, None, f"unreachable from the entry node '{menu.entry}'")


def reads_input(node: Node) -> bool:
    """Whether a call waits for the caller at this node (what makes a cycle through it harmless)."""
    if isinstance(node, PlayNode | TimeNode | SubmenuNode):
        return False
    if isinstance(node, LanguageNode):
        return node.timeout > 0
    return True


def _loops(menu: Menu, where: checks.Where) -> Iterator[Problem]:
    """Cycles made only of nodes that never wait for a key: a call would spin there for ever."""
    silent = {name for name, node in menu.nodes.items() if not reads_input(node)}
    edges = {
        name: [(field, target) for field, target in menu.nodes[name].targets() if target in silent]
        for name in silent
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()
    for root in sorted(silent):
        if root in state:
            continue
        path: list[str] = [root]
        stack = [iter(edges[root])]
        state[root] = 1
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            field, target = step
            if state.get(target) == 1:
                cycle = path[path.index(target):]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    route = " -> ".join([path[-1], *cycle])
                    yield where(path[-1], field, f"loop without input: {route}")
            elif target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(edges[target]))


def _languages(menu: Menu, where: checks.Where) -> Iterator[Problem]:
    offered = ", ".join(menu.languages)
    for node in menu.nodes.values():
        if not isinstance(node, LanguageNode):
            continue
        if node.default not in menu.languages:
            yield where(node.name, "default", f"language '{node.default}' is not one of the menu's ({offered})")
        for key, lang in node.choices.items():
            if lang not in menu.languages:
                yield where(node.name, "choices", f"key {key!r}: language '{lang}' is not one of the menu's "
                            f"({offered})")


def _submenus(menu: Menu, where: checks.Where, known_menus: Collection[str]) -> Iterator[Problem]:
    for node in menu.nodes.values():
        if not isinstance(node, SubmenuNode):
            continue
        if node.menu == menu.name:
            yield where(node.name, "menu", f"menu '{node.menu}' cannot enter itself")
        elif node.menu not in known_menus:
            yield where(node.name, "menu", f"menu '{node.menu}' is not a known menu")


def _prompts(menu: Menu, where: checks.Where, prompt_exists: PromptExists) -> Iterator[Problem]:
    known: dict[tuple[str, str], bool] = {}

    def exists(ref: str, lang: str) -> bool:
        if (ref, lang) not in known:
            known[(ref, lang)] = bool(prompt_exists(ref, lang))
        return known[(ref, lang)]

    for node in menu.nodes.values():
        for field, refs in prompt_fields(node):
            for ref in dict.fromkeys(refs):
                try:
                    split_ref(ref)
                except PromptError:
                    continue  # reported by the field rules
                missing = [lang for lang in menu.languages if not exists(ref, lang)]
                if missing:
                    yield where(node.name, field, f"prompt '{ref}' does not exist in {', '.join(missing)}")
