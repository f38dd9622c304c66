# syntax=docker/dockerfile:1
# The one `braid` binary (gateway, subgraphs, payment provider, demo) in a slim image; the
# Kubernetes manifests in deploy/k8s run it with a command per service. Not built on the
# development machines (they have no container engine): `docker build -t braid .` elsewhere.
# scripts/test.sh lints it with hadolint.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# librdkafka (the Kafka client) is compiled from source by rdkafka-sys with the C toolchain of
# the rust image; the caches keep crates and objects between builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin braid \
 && cp target/release/braid /usr/local/bin/braid

FROM debian:bookworm-slim
# ca-certificates: the public roots for https:// calls (JWKS of a public identity provider).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 braid \
 && useradd --system --uid 10001 --gid braid --no-create-home --shell /usr/sbin/nologin braid
COPY --from=build /usr/local/bin/braid /usr/local/bin/braid
COPY schema/supergraph.graphql /usr/share/braid/supergraph.graphql
COPY config/ /usr/share/braid/config/
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/braid"]
CMD ["demo", "--listen", "0.0.0.0:8080", "--data-dir", "/tmp/braid"]
