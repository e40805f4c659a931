"""An installation that is not a source checkout: the wheel built from the project, installed into
a fresh virtualenv outside the source tree, run through the image's entry point as the container
would (migrate, then web), serves Chinese pages — core's and a plugin's — compiled in memory from
the shipped .po files, and behind deploy/nginx/gongkai.conf.

To stay offline and fast the wheel is installed with ``--no-deps``; its dependencies come from
this environment's site-packages through a ``.pth`` file (without this project's own editable
install), and the dependencies' console scripts are written as pip would write them.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests import deploy_files as files
from tests.services import free_port, unavailable, wait_for_port

_IGNORE_EVERYWHERE = shutil.ignore_patterns("*.egg-info", "__pycache__", "*.py[cod]", "*.mo")
_IGNORE_AT_ROOT = {".git", ".venv", "build", "dist", "instance", "tests", "docs", ".ruff_cache"}


def _source_ignore(folder: str, names: list[str]) -> set[str]:
    """A clean clone, as CI and a release build see it: no local state, no compiled catalogs."""
    ignored = _IGNORE_EVERYWHERE(folder, names)
    if Path(folder) == files.ROOT:
        ignored |= _IGNORE_AT_ROOT & set(names)
    return ignored


OWN = ("core", "tenants", "plugins", "themes", "i18n", "gongkai", "__editable__", "_gongkai")
ORGS = """\
organisations:
  - code: wheel-county
    type: county_committee
    sector: agency
    names:
      zh_Hans_CN: {full: 中共测试县委员会, short: 测试县委}
    children:
      - code: wheel-village
        type: branch
        sector: village
        names:
          zh_Hans_CN: {full: 测试村党支部, short: 测试村党支部}
"""


def _run(cmd, *, env, cwd, check=True, timeout=180):
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def _dependencies(folder: Path) -> Path:
    """This environment's site-packages without this project (symlinks), for the .pth."""
    folder.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.startswith(OWN) or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _script(venv: Path, name: str, module: str, func: str) -> None:
    path = venv / "bin" / name
    path.write_text(
        f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom {module} import {func}\n"
        f"sys.exit({func}())\n"
    )
    path.chmod(0o755)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv, app root, environment)``: the wheel installed, the image's deploy/ files copied."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(files.ROOT, source, ignore=_source_ignore, symlinks=True)
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(base / "dist"), str(source)], env=os.environ, cwd=base)  # fmt: skip
    (wheel,) = (base / "dist").glob("gongkai-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=os.environ, cwd=base)
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "--quiet", "--no-deps", "--no-index", str(wheel)], env=os.environ, cwd=base)  # fmt: skip
    site = Path(
        _run([str(venv / "bin" / "python"), "-c",
              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             env=os.environ, cwd=base).stdout.strip()
    )  # fmt: skip
    (site / "_gongkai_test_dependencies.pth").write_text(f"{_dependencies(base / 'deps')}\n")
    _script(venv, "gunicorn", "gunicorn.app.wsgiapp", "run")
    # the image's application folder: the deploy/ files the Dockerfile copies, nothing else
    approot = base / "opt-gongkai"
    for sources, destination in files.runtime_copies():
        assert destination.startswith("/opt/gongkai/"), destination
        target = approot / destination.removeprefix("/opt/gongkai/")
        target.mkdir(parents=True, exist_ok=True)
        for src in sources:
            shutil.copy2(files.ROOT / src, target / Path(src).name)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(base),
        "LANG": "C.UTF-8",
        "GONGKAI_ENV": "production",
        "SECRET_KEY": "wheel-test-secret-key-0123456789abcdefghijklmnop",
        "GONGKAI_INSTANCE_PATH": str(base / "instance"),
        "GONGKAI_DATABASE_URL": f"sqlite:///{base / 'gongkai.sqlite'}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    return {"venv": venv, "site": site, "approot": approot, "env": env, "wheel": wheel}


def test_the_wheel_carries_every_file_the_application_reads(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    shipped_dirs = ("core", "tenants", "plugins", "themes", "i18n")
    wanted = {
        str(p.relative_to(files.ROOT))
        for folder in shipped_dirs
        for p in (files.ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".mo", ".pyc")
    }
    tooling = {"i18n/babel.cfg", "i18n/messages.pot"}  # extraction only, never read at run time
    assert sorted(wanted - tooling - names) == []
    assert not [n for n in names if n.endswith(".mo")], "catalogs ship as .po, compiled on use"


def test_the_installed_code_is_the_wheel_not_the_checkout(installed):
    out = subprocess.run(
        [str(installed["venv"] / "bin" / "python"), "-c",
         "import core.i18n, core.themes; print(core.i18n.TRANSLATIONS); "
         "print(core.themes.THEMES_DIR)"],
        capture_output=True, text=True, check=True, cwd=installed["approot"],
    )  # fmt: skip
    translations, themes = map(Path, out.stdout.split())
    assert translations == installed["site"] / "i18n"
    assert themes == installed["site"] / "themes"
    assert files.ROOT not in translations.parents


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx answer itself is what the test looks at


def _get(url: str, *, context=None) -> tuple[int, str, dict]:
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8"), dict(answer.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)


def _wait_ready(env, approot, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        check = subprocess.run(
            ["python", str(approot / "deploy" / "healthcheck.py"), "/readyz"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if check.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the web process never became ready: {check.stderr}")
        time.sleep(0.3)


def test_the_container_commands_migrate_and_serve_chinese_pages_from_the_wheel(installed, tmp_path):
    env, approot = dict(installed["env"]), installed["approot"]
    entrypoint = str(approot / "deploy" / "entrypoint.sh")
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"

    migrated = _run([entrypoint, "migrate"], env=env, cwd=tmp_path)
    assert "Database at revision" in migrated.stdout
    orgs = tmp_path / "orgs.yaml"
    orgs.write_text(ORGS, encoding="utf-8")
    _run([entrypoint, "gongkai", "orgs", "import", str(orgs)], env=env, cwd=tmp_path)
    assert not list(installed["site"].glob("i18n/*/LC_MESSAGES/*.mo"))

    web = subprocess.Popen([entrypoint, "web"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_ready(env, approot)
        status, html, _ = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert '<html lang="zh-Hans-CN"' in html
        assert "党务公开" in html and "测试县委" in html
        assert "Party affairs disclosure" not in html
        # a plugin's template and catalog, from the wheel too
        status, html, _ = _get(
            f"http://127.0.0.1:{port}/o/wheel-village/village_affairs/notice-board"
        )
        assert status == 200
        assert "村务公开栏" in html and "公开栏暂无公开内容。" in html
        # the other languages
        status, html, _ = _get(f"http://127.0.0.1:{port}/?lang=ug")
        assert 'dir="rtl"' in html and "Party affairs disclosure" not in html
        _behind_nginx(port, tmp_path / "nginx")
    finally:
        web.terminate()
        output = web.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert "Traceback" not in output, output

    compiled = _run([entrypoint, "gongkai", "i18n", "compile"], env=env, cwd=tmp_path)
    mo = installed["site"] / "i18n" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file() and str(mo) in compiled.stdout
    assert list(installed["site"].glob("plugins/village_affairs/translations/*/LC_MESSAGES/*.mo"))
    again = _run([entrypoint, "gongkai", "i18n", "compile"], env=env, cwd=tmp_path)
    assert again.stdout.startswith("0 catalog(s) compiled")


def _behind_nginx(web_port: int, folder: Path) -> None:
    """deploy/nginx/gongkai.conf in front of the web process: HTTPS, the Host and scheme passed
    on (a production session cookie is Secure), and the maintenance page when web is down."""
    from tests.deploy_nginx import nginx_config

    if not shutil.which("nginx"):
        unavailable("nginx is not installed")
    http_port, https_port = free_port(), free_port()
    conf = nginx_config(folder, upstream=f"127.0.0.1:{web_port}", http_port=http_port,
                        https_port=https_port)  # fmt: skip
    nginx = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf),
                              "-e", str(folder / "error.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    tls = ssl.create_default_context(cafile=str(folder / "certs" / "fullchain.pem"))
    try:
        wait_for_port(https_port)
        status, _, headers = _get(f"http://127.0.0.1:{http_port}/o/wheel-county/")
        assert status == 301
        assert headers["Location"] == "https://127.0.0.1/o/wheel-county/"
        status, html, headers = _get(f"https://127.0.0.1:{https_port}/auth/login", context=tls)
        assert status == 200 and "登录" in html
        assert "__Host-session=" in headers.get("Set-Cookie", "")
        assert headers.get("Strict-Transport-Security")
        # nothing listens where web was: visitors get the maintenance page, not nginx's
        dead = free_port()
        (folder / "gongkai.conf").write_text(
            (folder / "gongkai.conf").read_text().replace(f"127.0.0.1:{web_port}",
                                                         f"127.0.0.1:{dead}"))  # fmt: skip
        subprocess.run(["nginx", "-p", str(folder), "-c", str(conf), "-s", "reload",
                        "-e", str(folder / "error.log")], check=True)  # fmt: skip
        # until the reloaded workers answer alone, an answer may still come from an old one:
        # whatever it is, it is a designed page (CI once saw a 503 in between)
        deadline, seen = time.monotonic() + 10, []
        while True:
            status, html, headers = _get(f"https://127.0.0.1:{https_port}/", context=tls)
            seen.append(status)
            if status not in (200, 502):
                assert "系统正在维护" in html or "服务暂时不可用" in html, (status, html[:500])
            if status == 502 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 502, seen
        assert "系统正在维护" in html and headers.get("Retry-After") == "30"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def test_production_refuses_to_start_without_the_catalogs(installed, tmp_path):
    env = dict(installed["env"])
    i18n = installed["site"] / "i18n"
    hidden = installed["site"] / "i18n-hidden"
    i18n.rename(hidden)
    try:
        refused = _run([str(installed["venv"] / "bin" / "gongkai"), "db", "current"], env=env,
                       cwd=tmp_path, check=False)  # fmt: skip
    finally:
        hidden.rename(i18n)
    assert refused.returncode == 2
    assert "Error: No translation catalog for zh_Hans_CN, ug" in refused.stderr
    assert "Traceback" not in refused.stderr


def _catalogs_without_mo(folder: Path) -> Path:
    shutil.copytree(files.ROOT / "i18n", folder, ignore=shutil.ignore_patterns("*.mo"))
    return folder


def test_core_compiles_a_catalog_in_memory_where_no_mo_exists(app_settings, tmp_path):
    from core.app import create_app
    from core.plugins.testing import migrate_once

    folder = _catalogs_without_mo(tmp_path / "i18n")
    po = folder / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace(
            'msgid "Party affairs disclosure"\nmsgstr "党务公开"',
            'msgid "Party affairs disclosure"\nmsgstr "党务公开（未编译目录）"',
        ),
        encoding="utf-8",
    )
    migrate_once(app_settings["database_url"])
    app = create_app(config={"BABEL_TRANSLATION_DIRECTORIES": str(folder)}, **app_settings)
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans-CN"' in html
    assert "党务公开（未编译目录）" in html
    assert not list(folder.glob("*/LC_MESSAGES/*.mo"))


def test_production_refuses_an_installation_without_core_catalogs(app_settings, tmp_path):
    from core.app import create_app
    from core.config import ConfigError

    folder = _catalogs_without_mo(tmp_path / "i18n")
    shutil.rmtree(folder / "ug")
    settings = {**app_settings, "env": "production"}
    with pytest.raises(ConfigError, match="No translation catalog for ug in"):
        create_app(config={"BABEL_TRANSLATION_DIRECTORIES": str(folder)}, **settings)
    # with the catalog back it starts
    shutil.copytree(files.ROOT / "i18n" / "ug", folder / "ug")
    assert create_app(config={"BABEL_TRANSLATION_DIRECTORIES": str(folder)}, **settings)
