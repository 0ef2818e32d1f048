# Stand-in for debian:<suite>-slim, made from a debootstrap (minbase) root filesystem.
# Built by `python -m checker images` only when no registry can supply the official images.
FROM scratch
ADD rootfs.tar /
ENV LANG=C.UTF-8
CMD ["bash"]
