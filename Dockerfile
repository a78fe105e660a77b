# The appreg image: a static binary on a minimal base with CA certificates.
#
# Built once per release tag for linux/amd64 and linux/arm64 by
# .github/workflows/release.yml. The Go stage runs on the build machine's own
# platform and cross-compiles (GOOS/GOARCH from TARGETOS/TARGETARCH): no
# emulation. CI runs this stage's `go build` line as written (.ci/build-image).
#
# Base images are pinned by digest, so a release is rebuilt from exactly the
# same bases until someone changes a digest here in a reviewed commit
# (.github/dependabot.yml proposes updates). The digests were copied from
# public Dockerfiles, not read from the registries; a digest that does not
# exist fails the build, it never pulls something else. Check one with
# `crane digest golang:1.26.8-bookworm` / `docker buildx imagetools inspect`.
FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm@sha256:dc9ad6c05acc7a88e5b71bde60a5fe3bd4b9f0db209011711b464107438a8107 AS build
# Set by BuildKit for each platform (no defaults here, which could shadow
# them); empty under the classic builder, when go builds for the host.
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/appreg ./cmd/appreg

# One base for both images: distroless static :nonroot (a multi-platform
# index with linux/amd64 and linux/arm64, as public reports of this digest
# say; not checked against the registry here).
FROM gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639 AS base
COPY --from=build /out/appreg /usr/local/bin/appreg
ENTRYPOINT ["/usr/local/bin/appreg"]

# The server image (target "server": appreg serve, docker run; what the
# release publishes as ghcr.io/appreg/appreg:vX.Y.Z-server): user 65532 (nonroot),
# which can write nothing but /tmp.
FROM base AS server
USER 65532:65532
EXPOSE 8080
CMD ["serve"]

# The GitHub Action's image (target "action", what a released action.yml
# runs by digest; the last stage, the default of a plain `docker build`). GitHub
# runs Docker actions as the image's user and documents that they must run as
# root: only root may write the mounted workspace and the
# runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). See
# https://docs.github.com/actions/sharing-automations/creating-actions/dockerfile-support-for-github-actions#user
FROM base AS action
USER 0:0
CMD ["action"]
