# faturabot: build with the locked dependency set, run as a non-root user on
# a slim base. Configuration comes from the environment only (README.md).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY locales ./locales
RUN cargo build --release --locked

FROM debian:bookworm-slim
# TLS roots are built in (rustls + webpki roots): no ca-certificates needed.
RUN useradd --system --uid 10001 --home-dir /var/lib/faturabot --shell /usr/sbin/nologin faturabot \
    && mkdir -p /var/lib/faturabot \
    && chown faturabot:faturabot /var/lib/faturabot
COPY --from=build /src/target/release/faturabot /usr/local/bin/faturabot
USER faturabot
ENV FATURABOT_DATA_DIR=/var/lib/faturabot \
    FATURABOT_METRICS_LISTEN=0.0.0.0:9090
VOLUME ["/var/lib/faturabot"]
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/faturabot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/faturabot", "run"]
