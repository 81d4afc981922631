# The cognitojwt command and gateway as a container image.
#
#   docker build -t cognitojwt .
#   docker run --rm -p 8080:8080 -p 9090:9090 \
#     -v "$PWD/gateway.yaml:/etc/cognitojwt/gateway.yaml:ro" cognitojwt
#
# Stage 1 builds a static binary (CGO_ENABLED=0: no libc, no loader);
# .ci/stages.d/30-static-binary.sh runs the very same build line (it reads
# it from this file) and proves the result has no dynamic dependencies and
# serves --dev. Stage 2 is distroless static: no shell, no package
# manager, a non-root user. The gateway writes no file, so the container
# runs with a read-only root filesystem. No HEALTHCHECK: orchestrators
# probe /healthz and /readyz on the admin listener over HTTP (see
# examples/kubernetes). Tags, not digests, are named here; pin digests in
# your own build for reproducible images.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# static-build: the line .ci/stages.d/30-static-binary.sh runs.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/cognitojwt ./cmd/cognitojwt

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cognitojwt /cognitojwt
# 65532, distroless's "nonroot": never root, even if a config asks for a
# low port (listen on 8080 and map it).
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/cognitojwt"]
CMD ["proxy", "--config", "/etc/cognitojwt/gateway.yaml"]
