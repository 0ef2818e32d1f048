# Stand-ins for python:<version>-slim and python:<version>, following the shape of the official
# recipe: CPython compiled from the upstream source tarball, installed under /usr/local, tests,
# static libraries and bytecode removed, `python`/`pip` links added. The tarball comes from the
# Debian mirror (the `.orig.tar.xz` of Debian's python3.X source package) and is checked against
# the SHA-256 published in the suite's Sources index.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE} AS cpython
ARG PYTHON_TARBALL_URL
ARG PYTHON_TARBALL_SHA256
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates curl dpkg-dev gcc make xz-utils \
        libbz2-dev libc6-dev libexpat1-dev libffi-dev libgdbm-dev liblzma-dev libncursesw5-dev \
        libreadline-dev libsqlite3-dev libssl-dev uuid-dev zlib1g-dev; \
    rm -rf /var/lib/apt/lists/*
RUN set -eux; \
    curl -fsSL -o /tmp/python.tar.xz "$PYTHON_TARBALL_URL"; \
    echo "$PYTHON_TARBALL_SHA256  /tmp/python.tar.xz" | sha256sum -c -; \
    mkdir -p /usr/src/python; \
    tar -xJf /tmp/python.tar.xz -C /usr/src/python --strip-components=1; \
    rm /tmp/python.tar.xz; \
    cd /usr/src/python; \
    ./configure \
        --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" \
        --enable-loadable-sqlite-extensions \
        --enable-option-checking=fatal \
        --enable-shared \
        --with-ensurepip \
        --with-system-expat \
        LDFLAGS="-Wl,-rpath=/usr/local/lib"; \
    make -j "$(nproc)"; \
    make install; \
    cd /; rm -rf /usr/src/python; \
    find /usr/local -depth \
        \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
        -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) \
        -exec rm -rf '{}' +; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec strip --strip-unneeded '{}' + 2>/dev/null || true; \
    for name in idle3 pip3 pydoc3 python3 python3-config; do \
        [ -e "/usr/local/bin/$name" ] && ln -sf "$name" "/usr/local/bin/${name%3}"; \
    done; \
    ldconfig; \
    python3 --version; pip --version
# The Debian packages the interpreter's shared objects link against: the slim image installs
# exactly these and nothing else.
RUN set -eux; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0 \
      | xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// && $3 !~ /^\/usr\/local\// { print $3 }' | sort -u \
      | xargs -r realpath | xargs -r dpkg-query --search 2>/dev/null | cut -d: -f1 | sort -u > /runtime-packages.txt; \
    cat /runtime-packages.txt

FROM ${DEBIAN_IMAGE} AS slim
COPY --from=cpython /runtime-packages.txt /tmp/runtime-packages.txt
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates netbase tzdata $(cat /tmp/runtime-packages.txt); \
    rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=cpython /usr/local /usr/local
COPY extra-ca/ /usr/local/share/ca-certificates/
# The host's extra CA certificates (a TLS-intercepting proxy's, for instance) are trusted so that
# pip and apt work inside learners' builds; pip is pointed at the system bundle.
RUN set -eux; \
    ldconfig; \
    update-ca-certificates; \
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > /etc/pip.conf; \
    python3 --version
ENV PATH=/usr/local/bin:$PATH LANG=C.UTF-8
CMD ["python3"]

# The full variant: Debian without the slim path excludes (docs and man pages stay, as in
# debian:<suite>), the buildpack-deps set of compilers, headers and VCS tools, then the same Python.
FROM ${DEBIAN_IMAGE} AS full
RUN set -eux; \
    rm -f /etc/dpkg/dpkg.cfg.d/lpi-slim-excludes; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates curl gnupg netbase wget tzdata \
        git mercurial openssh-client subversion procps \
        autoconf automake bzip2 default-libmysqlclient-dev dpkg-dev file g++ gcc imagemagick \
        libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev libgdbm-dev \
        libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev libmagickcore-dev \
        libmagickwand-dev libmaxminddb-dev libncurses-dev libncursesw5-dev libpng-dev libpq-dev \
        libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev libxslt1-dev \
        libyaml-dev make patch unzip xz-utils zlib1g-dev; \
    rm -rf /var/lib/apt/lists/*
COPY --from=cpython /usr/local /usr/local
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN set -eux; \
    ldconfig; \
    update-ca-certificates; \
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > /etc/pip.conf; \
    python3 --version
ENV PATH=/usr/local/bin:$PATH LANG=C.UTF-8
CMD ["python3"]
