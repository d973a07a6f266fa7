// Package guest holds the collector's attach and end-to-end tests that run
// on every kernel of the matrix: inside qemu guests (tests/kernels/
// run-in-kernel.sh, where KERNEL_GUEST is set and datakit-ebpf is on PATH)
// and on the host itself (go test ./...). They need nothing but the
// collector and this binary: servers and clients are Go code talking over
// loopback, so a busybox initramfs is enough.
package guest
