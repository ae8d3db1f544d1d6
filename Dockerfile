# krmfn as a container KRM function (kustomize container functions, kpt fn eval --image).
# No registry may be reachable where you build: pass a local base with --build-arg BASE_IMAGE=...
# The base needs python3 (>= 3.10); PyYAML and jsonschema are installed from the build context's wheels
# or PyPI at build time. Nothing is fetched at run time.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
COPY pyproject.toml README.md /src/
COPY krmfn /src/krmfn
RUN python3 -m pip install --no-cache-dir /src && rm -rf /src
USER 65534:65534
ENTRYPOINT ["krmfn"]
