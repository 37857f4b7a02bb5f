# Multi-stage build on Debian 12: the same packages as scripts/setup.sh.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN bash scripts/setup.sh
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF -DSESSIONDX_BENCH=OFF \
 && cmake --build build --target sessiondx

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libsqlite3-0 libssl3 zlib1g libspdlog1.10 libfmt9 libboost-url1.81.0 libicu72 ca-certificates \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/sessiondx sessiondx \
 && mkdir -p /var/lib/sessiondx && chown sessiondx /var/lib/sessiondx
COPY --from=build /src/build/app/sessiondx /usr/local/bin/sessiondx
USER sessiondx
WORKDIR /var/lib/sessiondx
ENV SESSIONDX_SERVER_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/sessiondx", "serve"]
