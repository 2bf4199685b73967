from __future__ import annotations

import pytest

from core.catalogue.db import Catalogue
from core.errors import NotFoundError, UsageError
from core.grid import nodes
from core.grid.adapters import normalise_url
from core.grid.nodes import NodeSpec


def test_crud_round_trip(catalogue: Catalogue) -> None:
    cat = catalogue
    nodes.add_node(cat, NodeSpec("lab1", mysql_url="lab1", rsync_url="http://lab1:9000",
                                 poll_interval_s=30))
    got = nodes.get_node(cat, "lab1")
    assert got.mysql_url == "http://lab1:8090/status"
    assert got.rsync_url == "http://lab1:9000/status"
    nodes.update_node(cat, "lab1", NodeSpec("lab2", mysql_url="lab1", enabled=False))
    assert [n.name for n in nodes.list_nodes(cat)] == ["lab2"]
    assert nodes.list_nodes(cat)[0].enabled is False
    nodes.remove_node(cat, "lab2")
    assert nodes.list_nodes(cat) == []
    with pytest.raises(NotFoundError, match="No node named 'lab2'"):
        nodes.remove_node(cat, "lab2")


def test_duplicate_names_are_refused(catalogue: Catalogue) -> None:
    nodes.add_node(catalogue, NodeSpec("a", mysql_url="h"))
    with pytest.raises(UsageError, match="exists already"):
        nodes.add_node(catalogue, NodeSpec("a", rsync_url="h"))


@pytest.mark.parametrize(("spec", "words"), [
    (NodeSpec(" "), "needs a name"),
    (NodeSpec("a"), "at least one URL"),
    (NodeSpec("a", agent_url="h"), "needs a token file"),
    (NodeSpec("a", mysql_url="h", token_file="t"), "only used with --agent"),
    (NodeSpec("a", mysql_url="h", poll_interval_s=1), "between 5 and 86400"),
    (NodeSpec("a", mysql_url="ftp://h"), "must start with http"),
    (NodeSpec("a", mysql_url="http://h:99999"), "not a valid URL"),
    (NodeSpec("a", mysql_url="http://"), "no host"),
])
def test_validation_messages(spec: NodeSpec, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        nodes.validate(spec)


def test_url_normalising_keeps_explicit_paths() -> None:
    assert normalise_url("rsync", "https://h/api/x?y=1") == "https://h:8093/api/x?y=1"
    assert normalise_url("mysql", "10.0.0.5:1234") == "http://10.0.0.5:1234/status"


def test_targets_group_daemons_and_split_the_agent() -> None:
    spec = nodes.validate(NodeSpec("lab", mysql_url="h", rsync_url="h", agent_url="h",
                                   token_file="/t"))
    t1, t2 = nodes.targets_for(spec)
    assert [e.kind for e in t1.endpoints] == ["mysql", "rsync"]
    assert t2.name == "lab (agent)" and t2.slots == ("rsync_backup",)
    assert t2.endpoints[0].token_file == "/t"
    only_agent = nodes.validate(NodeSpec("solo", agent_url="h", token_file="/t"))
    assert [t.name for t in nodes.targets_for(only_agent)] == ["solo"]
    off = nodes.validate(NodeSpec("off", mysql_url="h", enabled=False))
    assert nodes.enabled_targets([spec, off]) == [t1, t2]
