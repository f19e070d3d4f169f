#!/bin/sh
# /init of the kernel-test initramfs (scripts/kernel/wyki_kernel.py fills in the @...@).
# Markers on the console, read by the host: WYKI-INIT, WYKI-READY <service>,
# WYKI-STATS-BEGIN/END, WYKI-UNLOADED, WYKI-DMESG-BEGIN/END, WYKI-POWEROFF.
# Control: after READY, one line from the console: `stop` (or nothing for
# @CONTROL_TIMEOUT@ s) -> print the statistics, rmmod, dump dmesg, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "7 4 1 7" > /proc/sys/kernel/printk
echo "WYKI-INIT: start ($(uname -r))"

for m in @NIC_MODULES@; do
	insmod "$m" || echo "WYKI-INIT: insmod $m failed"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

if insmod /wyki.ko @PARAMS@; then
	echo "WYKI-READY @SERVICE@"
	cat /proc/wyki/@SERVICE@
else
	echo "WYKI-INSMOD-FAILED"
fi

while read -t @CONTROL_TIMEOUT@ cmd; do
	case "$cmd" in
	*stop*) break ;;
	*stats*) cat /proc/wyki/@SERVICE@ ;;
	esac
done

echo "WYKI-STATS-BEGIN"
cat /proc/wyki/@SERVICE@
echo "WYKI-STATS-END"
if rmmod wyki_@SERVICE@; then
	echo "WYKI-UNLOADED"
else
	echo "WYKI-RMMOD-FAILED"
fi
[ -e /proc/wyki/@SERVICE@ ] && echo "WYKI-INIT: /proc/wyki/@SERVICE@ still exists"
echo "WYKI-DMESG-BEGIN"
dmesg
echo "WYKI-DMESG-END"
echo "WYKI-POWEROFF"
poweroff -f
