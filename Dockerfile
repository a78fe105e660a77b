# Multi-stage build of the appreg GitHub Action image: a static binary on a
# minimal base with CA certificates.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/appreg ./cmd/appreg

# Not the :nonroot variant: GitHub runs Docker actions as the image's user,
# and only root may write the mounted workspace and the runner's files
# (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). See
# https://docs.github.com/actions/sharing-automations/creating-actions/dockerfile-support-for-github-actions#user
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/appreg /usr/local/bin/appreg
ENTRYPOINT ["/usr/local/bin/appreg"]
CMD ["action"]
