"""Read a ``TENANTS.yaml`` file: the tenants of a batch and the report parameters of each.

The file::

    defaults:                     # optional: any `planner report` option or notebook parameter
      scenarios: 500
      seed: 7
      alert_days: 21
      params: {timezone: Europe/Paris}
    tenants:
      - name: contoso             # folder name of its report: letters, digits, . _ -
        exports: [contoso/exports]  # files or folders, relative to this file
        balance: contoso/lots.csv
        current_recharge_amount: 500
        current_threshold: 100
        billing: postpaid         # prepaid (default) or postpaid (MCA: the bill, no recharge)
        monthly_budget: 1500      # each month's chance of exceeding it
        params: {service_level: 0.995}

Priority, lowest first: the defaults' ``params``, the defaults' options, a tenant's ``params``,
a tenant's own keys. Options are turned into notebook parameters by the same table as
``planner report`` (:data:`planner.report.params.OPTION_PARAMETERS`), and every value is checked
against the notebooks' parameter table (:data:`planner.report.params.PARAMETERS`), so a tenant
of a batch gets exactly the parameters ``planner report`` would pass for the same options.

The file is read by :mod:`planner.yamlfile`, with the limits of every YAML input (safe
loading, bounded aliases, depth and size, regular files only). Everything is checked before
any report starts: invalid YAML, an unknown key, a value of the wrong type or range, a
duplicate or unusable tenant name raise :class:`~planner.errors.InputError` naming the file
and line. Input files are not opened here: a missing export fails that tenant alone, when its
report runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planner import yamlfile
from planner.errors import InputError
from planner.report.notebooks import PATH_PARAMETERS, RESERVED_PARAMETERS
from planner.report.params import OPTION_PARAMETERS, PARAMETERS, option_parameters
from planner.text import t

__all__ = ["TENANT_KEYS", "Tenant", "read_tenants", "shared_language"]

#: keys of a tenant entry besides the report options it may also set
TENANT_KEYS: tuple[str, ...] = (
    "name",
    "exports",
    "balance",
    "licences",
    "rates",
    "departments",
    "user_licences",
    "current_recharge_amount",
    "current_threshold",
    "billing",
    "monthly_budget",
    "params",
)

#: a tenant's name is the folder of its report
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: names that would clash with the batch's own files
_RESERVED_NAMES = frozenset({"index.json", "index.html", "portfolio.xlsx"})


@dataclass(frozen=True)
class Tenant:
    """One tenant of a batch.

    Attributes
    ----------
    name : str
        Its name, also the folder of its report.
    parameters : dict
        Notebook parameters of its report, input paths absolute.
    line : int
        Line of its entry in the file (1-based), for messages.
    """

    name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    line: int = 0


class _Reader:
    """Walks the composed YAML nodes, so every message can name a line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        self.options = OPTION_PARAMETERS
        self.notebook = set(PARAMETERS)

    def fail(self, node: yaml.Node, message: str, /, **values: Any) -> InputError:
        """The error ``message`` (a catalogue message, ``{name}`` fields from ``values``) at
        ``node``'s line."""
        return InputError(
            "{path}: line {line}: {message}",
            path=self.path,
            line=node.start_mark.line + 1,
            message=t(message, **values),
        )

    def value(self, node: yaml.Node) -> Any:
        return yamlfile.construct(node, str(self.path))

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """``(key, key node, value node)`` of a mapping; duplicate keys refused."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "{what} must be a mapping of keys to values", what=what)
        seen: dict[str, int] = {}
        items = []
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.fail(key_node, "{what}: key {key!r} is not a name", what=what, key=key)
            if key in seen:
                raise self.fail(
                    key_node,
                    "{what}: {key!r} given twice (first on line {seen})",
                    what=what,
                    key=key,
                    seen=seen[key],
                )
            seen[key] = key_node.start_mark.line + 1
            items.append((key, key_node, value_node))
        return items

    def option(self, key: str, key_node: yaml.Node, node: yaml.Node, where: str):
        """A report option or notebook parameter: ``(kind, name, value)``, the value checked."""
        name = key.replace("-", "_")
        if name in self.options:
            return "option", name, self.checked(name, self.options[name], node, where, True)
        if name in self.notebook:
            return "param", name, self.checked(name, name, node, where, False)
        raise self.fail(
            key_node,
            "{where}: unknown key {key!r}; use a `planner report` option "
            "({options}) or a notebook parameter ({notebook})",
            where=where,
            key=key,
            options=", ".join(sorted(self.options)),
            notebook=", ".join(sorted(self.notebook)),
        )

    def checked(self, key: str, parameter: str, node: yaml.Node, where: str, option: bool) -> Any:
        """The value of ``node`` checked against the notebook parameter it sets; an option's
        value may be text that reads as its number, as on the command line. None: not given."""
        value = self.value(node)
        if value is None:
            return None
        spec = PARAMETERS[parameter]
        try:
            if option:
                return spec.parse(key, value)
            return spec.check(key, value)
        except InputError as exc:
            raise self.fail(node, "{where}: {exc}", where=where, exc=exc) from None

    def params(self, node: yaml.Node, where: str) -> dict[str, Any]:
        out = {}
        for key, key_node, value_node in self.mapping(node, f"{where}: params"):
            if key in RESERVED_PARAMETERS or key not in self.notebook:
                raise self.fail(
                    key_node,
                    "{where}: params: unknown notebook parameter {key!r}; known "
                    "parameters: {notebook}",
                    where=where,
                    key=key,
                    notebook=", ".join(sorted(self.notebook)),
                )
            out[key] = self.checked(key, key, value_node, f"{where}: params", False)
        return out

    def level(self, node: yaml.Node, where: str, *, tenant: bool) -> tuple[dict, dict]:
        """The options and the notebook parameters of ``defaults`` or of one tenant."""
        options: dict[str, Any] = {}
        params: dict[str, Any] = {}
        direct: dict[str, Any] = {}
        for key, key_node, value_node in self.mapping(node, where):
            if key == "params":
                params.update(self.params(value_node, where))
            elif key == "name" and tenant:
                continue
            elif tenant and key not in TENANT_KEYS:
                raise self.fail(
                    key_node,
                    "{where}: unknown key {key!r}; a tenant has {tenant_keys} (other "
                    "notebook parameters go under `params:`)",
                    where=where,
                    key=key,
                    tenant_keys=", ".join(TENANT_KEYS),
                )
            elif key == "exports":
                direct["exports"] = self.exports(value_node, where)
            else:
                kind, name, value = self.option(key, key_node, value_node, where)
                (options if kind == "option" else direct)[name] = value
        return options, {**params, **direct}

    def exports(self, node: yaml.Node, where: str) -> list[str]:
        value = self.value(node)
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
            raise self.fail(node, "{where}: exports must be a path or a list of paths", where=where)
        return items

    def absolute(self, params: dict[str, Any]) -> dict[str, Any]:
        """Input paths relative to the tenants file, made absolute (workers have another
        working directory)."""
        out = dict(params)
        for name in PATH_PARAMETERS & out.keys():
            value = out[name]
            if isinstance(value, list):
                out[name] = [str((self.root / str(v)).expanduser()) for v in value]
            elif value not in (None, ""):
                out[name] = str((self.root / str(value)).expanduser())
        return out

    def parameters(self, options: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        """Notebook parameters from options as ``planner report`` collects them."""
        return {**params, **option_parameters(options)}


def shared_language(tenants: list[Tenant]) -> str | None:
    """The language every tenant's report is written in (``lang``), when they share one."""
    langs = {str(tenant.parameters.get("lang") or "en") for tenant in tenants}
    return langs.pop() if len(langs) == 1 else None


def read_tenants(path: str | Path) -> list[Tenant]:
    """Read and check a tenants file; see the module's documentation for its layout.

    Raises
    ------
    InputError
        The file is missing or unreadable, not valid YAML, has an unknown key, a value of the
        wrong type, no tenant, or a duplicate or unusable tenant name (the message names the
        line).
    """
    path = Path(path)
    root = yamlfile.compose_file(path)
    if root is None:
        raise InputError("{path}: empty; list the tenants under `tenants:`", path=path)
    reader = _Reader(path.resolve())
    top = dict((k, (kn, vn)) for k, kn, vn in reader.mapping(root, "the file"))
    for key, (key_node, _) in top.items():
        if key not in ("defaults", "tenants"):
            raise reader.fail(
                key_node, "unknown key {key!r}; expected `defaults:` and `tenants:`", key=key
            )
    if "tenants" not in top:
        raise reader.fail(root, "no `tenants:` list")
    base: dict[str, Any] = {}
    if "defaults" in top and not _is_null(top["defaults"][1]):
        options, params = reader.level(top["defaults"][1], "defaults", tenant=False)
        base = reader.parameters(options, params)
    return _tenants(reader, top["tenants"][1], base)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _tenants(reader: _Reader, node: yaml.Node, base: Mapping[str, Any]) -> list[Tenant]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise reader.fail(node, "tenants must be a list of tenants (`- name: ...`)")
    tenants: list[Tenant] = []
    seen: dict[str, int] = {}
    for item in node.value:
        line = item.start_mark.line + 1
        name = _name(reader, item)
        if name.lower() in seen:
            raise reader.fail(
                item,
                "tenant {name!r} given twice (first on line {seen})",
                name=name,
                seen=seen[name.lower()],
            )
        seen[name.lower()] = line
        where = f"tenant {name!r}"
        options, params = reader.level(item, where, tenant=True)
        if "exports" not in params and "exports" not in base:
            raise reader.fail(
                item, "{where}: no exports; list its usage exports under `exports:`", where=where
            )
        own = reader.parameters(options, params)
        tenants.append(Tenant(name=name, parameters=reader.absolute({**base, **own}), line=line))
    return tenants


def _name(reader: _Reader, item: yaml.Node) -> str:
    entries = {k: vn for k, _, vn in reader.mapping(item, "a tenant")}
    if "name" not in entries:
        raise reader.fail(item, "a tenant without a name; give each tenant `name:`")
    node = entries["name"]
    name = reader.value(node)
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.lower() in _RESERVED_NAMES:
        raise reader.fail(
            node,
            "tenant name {name!r} cannot be a folder name; use letters, digits, "
            "'.', '_' and '-' (up to 100, starting with a letter or digit)",
            name=name,
        )
    return name
