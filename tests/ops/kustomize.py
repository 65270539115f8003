"""The part of kustomize that deploy/kubernetes uses, to check that the committed
rendering (made with `kubectl kustomize`) is what the base and the overlay say — on
machines without kubectl. Supported: ``resources`` (files and directories), ``namespace``,
``labels`` (metadata only), ``images``, ``replicas`` and ``patches`` (strategic merge by
kind and name; lists of named items merged by name, other lists replaced;
``$patch: delete`` removes the resource)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

# Kinds that live in no namespace (among those the manifests use).
CLUSTER_SCOPED = {"Namespace"}
Resource = dict[str, Any]


def render(directory: Path) -> list[Resource]:
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    resources: list[Resource] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            resources.extend(render(path))
        else:
            resources.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in spec.get("patches", []):
        document = yaml.safe_load((directory / patch["path"]).read_text())
        target = _find(resources, document["kind"], document["metadata"]["name"])
        if document.get("$patch") == "delete":
            resources.remove(target)
            continue
        merged = _merge(target, document)
        target.clear()
        target.update(merged)
    for label_set in spec.get("labels", []):
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    for replica in spec.get("replicas", []):
        _find(resources, "Deployment", replica["name"])["spec"]["replicas"] = replica["count"]
    for image in spec.get("images", []):
        for container in _containers(resources):
            if container["image"].split(":")[0] == image["name"]:
                name = image.get("newName", image["name"])
                container["image"] = f"{name}:{image['newTag']}" if "newTag" in image else name
    if "namespace" in spec:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    return resources


def by_identity(resources: list[Resource]) -> dict[tuple[str, str], Resource]:
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


def _find(resources: list[Resource], kind: str, name: str) -> Resource:
    for resource in resources:
        if resource["kind"] == kind and resource["metadata"]["name"] == name:
            return resource
    raise KeyError(f"no {kind} {name} to patch")


def _containers(resources: list[Resource]) -> list[Resource]:
    found = []
    for resource in resources:
        pod = resource.get("spec", {}).get("template", {}).get("spec", {})
        found.extend(pod.get("containers", []))
        found.extend(pod.get("initContainers", []))
    return found


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in base + patch)
    ):
        merged_list = copy.deepcopy(base)
        for item in patch:
            for index, existing in enumerate(merged_list):
                if existing["name"] == item["name"]:
                    merged_list[index] = _merge(existing, item)
                    break
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)
