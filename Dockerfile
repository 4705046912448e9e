# denytrail as a container image, for sharded runs (deploy/aws-batch, deploy/kubernetes) or
# one-off runs: `docker build -t denytrail .`, then
# `docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID ... denytrail denytrail analyze s3://...`.
#
# Build stage: the release binary (both feature groups: S3, reports). Run stage: Debian slim
# with CA certificates (the SDK's HTTPS client reads the system roots) and a shell (the AWS
# Batch merge recipe chains `denytrail snapshot` and `denytrail analyze`). No ENTRYPOINT: AWS
# Batch job definitions cannot override one, so the recipes give the whole command.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin denytrail

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work --create-home denytrail
COPY --from=build /src/target/release/denytrail /usr/local/bin/denytrail
USER denytrail
WORKDIR /work
CMD ["denytrail", "--help"]
