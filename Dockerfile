# sessiondx: multi-stage build on Debian 12 (docs/reliability.md, Packaging).
#   docker build -t sessiondx .
#   docker run -d -p 8080:8080 -v sessiondx-data:/var/lib/sessiondx \
#     -e SESSIONDX_WEBHOOK_SECRET=whsec_... sessiondx
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
# Build dependencies only (no sdk, fuzzing or test tools).
RUN SESSIONDX_SETUP_MINIMAL=1 bash scripts/setup.sh
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESSIONDX_TESTS=OFF -DSESSIONDX_BENCH=OFF \
 && cmake --build build --target sessiondx \
 && strip build/app/sessiondx
# The runtime gets the binary and exactly the shared libraries it links, nothing else. They go
# to /usr/lib/x86_64-linux-gnu under their soname: Debian 12 is merged-/usr (/lib -> usr/lib),
# and a /runtime/lib directory copied over the image's /lib symlink would break the image.
RUN mkdir -p /runtime/usr/local/bin /runtime/usr/lib/x86_64-linux-gnu /runtime/etc/ssl/certs \
             /runtime/var/lib/sessiondx \
 && cp build/app/sessiondx /runtime/usr/local/bin/ \
 && ldd build/app/sessiondx | awk '$3 ~ /^\// { print $3 }' \
    | xargs -I{} cp -L {} /runtime/usr/lib/x86_64-linux-gnu/ \
 && cp /etc/ssl/certs/ca-certificates.crt /runtime/etc/ssl/certs/ \
 && chown 10001:10001 /runtime/var/lib/sessiondx && chmod 0700 /runtime/var/lib/sessiondx

FROM debian:bookworm-slim
COPY --from=build /runtime/ /
RUN useradd --system --uid 10001 --home-dir /var/lib/sessiondx --shell /usr/sbin/nologin sessiondx
USER 10001:10001
WORKDIR /var/lib/sessiondx
VOLUME ["/var/lib/sessiondx"]
ENV SESSIONDX_SERVER_LISTEN=0.0.0.0:8080 \
    SESSIONDX_STORE_PATH=/var/lib/sessiondx/events.db
EXPOSE 8080
# /healthz through bash's /dev/tcp: the image carries no HTTP client.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sessiondx", "serve"]
