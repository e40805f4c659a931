"""deploy/ checked statically: the Kubernetes manifests against the API schemas, the Compose file
against the compose-spec schema, the image definition, the nginx configuration, and one source of
truth for the process commands (deploy/Procfile). No container engine runs here; the commands
themselves run outside containers in tests/test_deploy_wheel.py and test_deploy_processes.py.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from importlib import resources as importlib_resources

import jsonschema
import kubernetes_validate
import pytest

from tests import deploy_files as files
from tests.services import unavailable

# The oldest Kubernetes the manifests promise to run on, and the newest schema bundled.
KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")


# --- Kubernetes ---------------------------------------------------------------------------------


def test_the_kustomization_lists_every_manifest_in_the_folder():
    listed = files.kustomization()["resources"]
    present = sorted(
        p.name for p in files.KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml"
    )
    assert sorted(listed) == present
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version):
    checked = []
    for name, docs in files.manifests().items():
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)
            checked.append((name, doc["kind"]))
    kinds = {kind for _name, kind in checked}
    assert {"Deployment", "Job", "Service", "Ingress", "ConfigMap", "Secret",
            "PersistentVolumeClaim", "HorizontalPodAutoscaler",
            "PodDisruptionBudget"} <= kinds  # fmt: skip


def test_the_schema_check_refuses_a_misspelt_field():
    deployment = copy.deepcopy(files.manifests()["web-deployment.yaml"][0])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)


def _by_kind(kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in files.resources() if r["kind"] == kind}


def _workload_labels(name: str) -> dict:
    return _by_kind("Deployment")[name]["spec"]["template"]["metadata"]["labels"]


def _selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_the_web_deployment_is_probed_scaled_and_protected():
    web = _by_kind("Deployment")["gongkai-web"]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert "replicas" not in web["spec"]  # the autoscaler owns the count
    hpa = _by_kind("HorizontalPodAutoscaler")["gongkai-web"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "gongkai-web"
    }  # fmt: skip
    assert hpa["spec"]["minReplicas"] >= 2
    assert container["resources"]["requests"]["cpu"]  # utilisation needs a request
    pdb = _by_kind("PodDisruptionBudget")["gongkai-web"]
    assert _selects(pdb["spec"]["selector"]["matchLabels"], _workload_labels("gongkai-web"))
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # drains can proceed


def test_the_service_and_ingress_reach_the_web_pods():
    service = _by_kind("Service")["gongkai-web"]
    web = _by_kind("Deployment")["gongkai-web"]["spec"]["template"]["spec"]
    assert _selects(service["spec"]["selector"], _workload_labels("gongkai-web"))
    port_names = {p["name"] for c in web["containers"] for p in c.get("ports", [])}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
    ingress = _by_kind("Ingress")["gongkai"]
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "gongkai-web"
            assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert ingress["spec"]["tls"], "production cookies are Secure: HTTPS only"
    policy = _by_kind("NetworkPolicy")["gongkai-web"]
    assert _selects(policy["spec"]["podSelector"]["matchLabels"], _workload_labels("gongkai-web"))


def test_exactly_one_scheduler_and_never_two_at_once():
    scheduler = _by_kind("Deployment")["gongkai-scheduler"]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}


def test_every_pod_runs_unprivileged_with_its_config_secret_and_volumes():
    names = {kind: set(_by_kind(kind)) for kind in ("ConfigMap", "Secret", "PersistentVolumeClaim")}
    for workload, spec in files.pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        assert spec["securityContext"]["runAsUser"] != 0, workload
        assert spec["automountServiceAccountToken"] is False, workload
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{workload}/{container['name']}"
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            refs = container["envFrom"]
            assert {r["configMapRef"]["name"] for r in refs if "configMapRef" in r} <= names[
                "ConfigMap"
            ], where
            assert {r["secretRef"]["name"] for r in refs if "secretRef" in r} <= names["Secret"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"
            assert set(mounts.values()) <= set(volumes), where
        for volume in volumes.values():
            if "persistentVolumeClaim" in volume:
                assert (
                    volume["persistentVolumeClaim"]["claimName"] in names["PersistentVolumeClaim"]
                )


def test_uploads_are_shared_by_the_web_and_worker_pods():
    pvc = _by_kind("PersistentVolumeClaim")["gongkai-uploads"]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    instance = files.load_yaml(files.KUBERNETES / "configmap.yaml")[0]["data"][
        "GONGKAI_INSTANCE_PATH"
    ]
    for workload in ("gongkai-web", "gongkai-worker", "gongkai-scheduler"):
        spec = files.pod_specs()[workload]
        claim = {
            v["name"] for v in spec["volumes"]
            if v.get("persistentVolumeClaim", {}).get("claimName") == "gongkai-uploads"
        }  # fmt: skip
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        assert mounts.get(instance) in claim, workload


def test_migrations_run_before_the_pods_of_a_release():
    """The Job runs the Procfile's migrate line; every Deployment's pods wait for the schema."""
    job = _by_kind("Job")["gongkai-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    for name in ("gongkai-web", "gongkai-worker", "gongkai-scheduler"):
        (init,) = files.pod_specs()[name]["initContainers"]
        assert init["args"][:3] == ["gongkai", "db", "check"], name
        assert "--wait" in init["args"], name


# --- one source of truth for the process commands -----------------------------------------------


def test_the_procfile_names_the_four_process_types():
    processes = files.procfile()
    assert set(processes) == set(files.PROCESS_TYPES)
    assert processes["web"] == 'gunicorn -c deploy/gunicorn.conf.py "core.app:create_app()"'
    assert processes["worker"] == "gongkai worker"
    assert processes["scheduler"] == "gongkai scheduler"
    assert processes["migrate"] == "gongkai db upgrade"


def test_the_image_runs_the_procfile_and_compose_and_kubernetes_name_its_processes():
    structure = files.dockerfile().structure
    last = {i["instruction"]: i["value"] for i in structure}
    assert json.loads(last["CMD"]) == ["web"]
    assert json.loads(last["ENTRYPOINT"]) == ["/opt/gongkai/deploy/entrypoint.sh"]
    copied = {src for sources, dest in files.runtime_copies() for src in sources
              if dest == "/opt/gongkai/deploy/"}  # fmt: skip
    assert {"deploy/Procfile", "deploy/entrypoint.sh", "deploy/gunicorn.conf.py"} <= copied

    services = files.compose()["services"]
    app_services = {n: s for n, s in services.items() if s.get("image", "").startswith("${GONGKAI")}
    assert {name: s["command"] for name, s in app_services.items()} == {
        "migrate": ["migrate"], "web": ["web"], "worker": ["worker"], "scheduler": ["scheduler"]
    }  # fmt: skip
    for workload, spec in files.pod_specs().items():
        (container,) = spec["containers"]
        assert container["args"] in ([p] for p in files.PROCESS_TYPES), workload
        assert "command" not in container, f"{workload}: the image's entry point runs it"


def test_the_entry_point_runs_other_commands_as_given(tmp_path):
    out = subprocess.run(
        [str(files.DEPLOY / "entrypoint.sh"), "echo", "as given"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout == "as given\n"
    # a name that is no process type is a command too (here: not found)
    missing = subprocess.run([str(files.DEPLOY / "entrypoint.sh"), "no-such-process"],
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode == 127


# --- the image ----------------------------------------------------------------------------------


def test_the_image_is_multi_stage_unprivileged_and_checks_its_health():
    parser = files.dockerfile()
    stages = [i for i in parser.structure if i["instruction"] == "FROM"]
    assert len(stages) >= 2
    assert stages[-1]["value"].split()[-1] == "runtime"
    final = parser.structure[parser.structure.index(stages[-1]) :]
    user = [i["value"] for i in final if i["instruction"] == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert user[-1].split(":")[0].isdigit(), "numeric, so Kubernetes can verify runAsNonRoot"
    uid = int(user[-1].split(":")[0])
    for spec in files.pod_specs().values():
        assert spec["securityContext"]["runAsUser"] == uid
    health = [i["value"] for i in final if i["instruction"] == "HEALTHCHECK"]
    assert health and "/healthz" in health[-1]
    # the build stage compiles the translations of the installed wheel
    build = parser.structure[: parser.structure.index(stages[-1])]
    assert any("gongkai i18n compile" in i["value"] for i in build if i["instruction"] == "RUN")
    # every file the build copies exists
    for sources, _dest in files.runtime_copies():
        for source in sources:
            assert (files.ROOT / source).exists(), source


# --- Compose ------------------------------------------------------------------------------------


def _compose_schema() -> dict:
    schema = importlib_resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(
        "compose-spec.json"
    )
    return json.loads(schema.read_text(encoding="utf-8"))


def test_the_compose_file_validates_against_the_compose_spec():
    jsonschema.validate(files.compose(), _compose_schema())


def test_the_compose_schema_check_refuses_a_misspelt_field():
    broken = copy.deepcopy(files.compose())
    broken["services"]["web"]["depends_om"] = broken["services"]["web"].pop("depends_on")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _compose_schema())


def test_the_compose_topology():
    services = files.compose()["services"]
    assert services["web"]["deploy"]["replicas"] == 2
    assert services["scheduler"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["migrate"]["restart"] == "no"
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "/readyz" in services["web"]["healthcheck"]["test"]
    assert "ports" not in services["web"], "only nginx is published"
    for name in ("migrate", "web", "worker", "scheduler"):
        assert "uploads:/var/lib/gongkai" in services[name]["volumes"]
        assert services[name]["env_file"][0]["path"] == "gongkai.env"
        assert services[name]["environment"]["GONGKAI_ENV"] == "production"
    mounted = {v.split(":")[0] for v in services["nginx"]["volumes"]}
    for source in mounted:
        if source != "./certs":
            assert (files.DEPLOY / source).is_file(), source


def test_every_setting_the_deployments_set_is_documented():
    """A misspelt variable in a manifest is silently ignored: each must be a documented one."""
    readme = (files.ROOT / "README.md").read_text(encoding="utf-8")
    guide = (files.DEPLOY / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme + guide))
    config = files.load_yaml(files.KUBERNETES / "configmap.yaml")[0]["data"]
    secret = files.load_yaml(files.KUBERNETES / "secret.yaml")[0]["stringData"]
    example = dict(
        line.split("=", 1)
        for line in (files.DEPLOY / "gongkai.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    compose_env = set()
    for service in files.compose()["services"].values():
        if service.get("image", "").startswith("${GONGKAI"):
            compose_env |= set(service["environment"])
    used = set(config) | set(secret) | set(example) | compose_env
    assert used - documented == set()


# --- nginx --------------------------------------------------------------------------------------


def test_the_nginx_configuration_is_accepted_by_nginx(tmp_path):
    from tests.deploy_nginx import nginx_config

    if not shutil.which("nginx"):
        unavailable("nginx is not installed")
    conf = nginx_config(tmp_path, upstream="127.0.0.1:9", http_port=9, https_port=10)
    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(conf),
                             "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = (files.DEPLOY / "nginx" / "gongkai.conf").read_text()
    assert "client_max_body_size 21m;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
