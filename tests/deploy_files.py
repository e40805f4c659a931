"""The files of deploy/, read the way their tools read them (shared by the deploy tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROCESS_TYPES = ("web", "worker", "scheduler", "migrate")


def procfile() -> dict[str, str]:
    """``{process type: command line}`` of deploy/Procfile (the one list of process commands)."""
    processes = {}
    for line in (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def load_yaml(path: Path) -> list:
    """Every document of a YAML file (merge keys resolved, as Compose and kubectl do)."""
    return [doc for doc in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if doc]


def compose() -> dict:
    return load_yaml(DEPLOY / "compose.yaml")[0]


def kustomization() -> dict:
    return load_yaml(KUBERNETES / "kustomization.yaml")[0]


def manifests() -> dict[str, list[dict]]:
    """``{file name: [resource, ...]}`` of the resources the kustomization lists."""
    return {name: load_yaml(KUBERNETES / name) for name in kustomization()["resources"]}


def resources() -> list[dict]:
    return [doc for docs in manifests().values() for doc in docs]


def pod_specs() -> dict[str, dict]:
    """``{workload name: pod spec}`` of the Deployments and Jobs."""
    return {
        r["metadata"]["name"]: r["spec"]["template"]["spec"]
        for r in resources()
        if r["kind"] in ("Deployment", "Job")
    }


def dockerfile():
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    return parser


def runtime_copies() -> list[tuple[list[str], str]]:
    """``(sources, destination)`` of the final stage's COPY instructions from the build
    context (not ``--from``)."""
    out, stage = [], -1
    for instruction in dockerfile().structure:
        if instruction["instruction"] == "FROM":
            stage += 1
            out = []
        elif instruction["instruction"] == "COPY" and "--from" not in instruction["value"]:
            *sources, destination = shlex.split(instruction["value"])
            out.append((sources, destination))
    return out


def documented_blocks(path: Path) -> dict[str, str]:
    """Shell blocks of a Markdown file marked ``<!-- tested: NAME -->`` on the line before."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"<!-- tested: ([\w-]+) -->\s*\n```(?:sh|bash)\n(.*?)```", re.S)
    return {name: body for name, body in pattern.findall(text)}
