# krmfn as a container KRM function (kustomize container functions, kpt fn eval --image, Argo CD).
#
#   docker build -t localhost/krmfn:dev .                        # from python:3.11-slim: pip installs krmfn
#   docker build --build-arg BASE_IMAGE=localhost/krmfn-base:bookworm -t localhost/krmfn:dev .
#
# The base needs python3 (>= 3.11). With pip in the base, krmfn and its dependencies (PyYAML, jsonschema)
# are installed from PyPI at build time. Without pip (a debootstrap base with Debian's python3-yaml and
# python3-jsonschema: tools/container-engine.sh makes one), krmfn's package is copied onto python's path
# and a small launcher is installed. Nothing is fetched at run time; the function runs as nobody
# (65534) and works with a read-only root file system and no network.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="krmfn" \
      org.opencontainers.image.description="Istio sidecar injection as a Kustomize/kpt KRM function" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY pyproject.toml README.md LICENSE NOTICE /src/
COPY krmfn /src/krmfn
RUN set -eu; \
    if python3 -m pip --version >/dev/null 2>&1; then \
      PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check /src; \
    else \
      site=$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))'); \
      mkdir -p "$site" /usr/local/bin; \
      cp -r /src/krmfn "$site/"; \
      python3 -m compileall -q "$site/krmfn"; \
      printf '%s\n' '#!/usr/bin/env python3' 'from krmfn.cli import program' 'raise SystemExit(program())' \
        >/usr/local/bin/krmfn; \
      chmod 0755 /usr/local/bin/krmfn; \
    fi; \
    rm -rf /src; \
    python3 -c 'import yaml, jsonschema; yaml.CSafeLoader' \
      || { echo "krmfn needs PyYAML built with libyaml (CSafeLoader) and jsonschema in the image" >&2; exit 1; }; \
    krmfn --version
USER 65534:65534
ENTRYPOINT ["krmfn"]
