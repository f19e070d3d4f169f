#!/bin/sh
# /init of the benchmark guest (bench/kernel.py writes it into the initramfs, filling in the
# @...@).  scripts/kernel/init.sh's command loop, plus nginx and memcached started at boot.
# Markers on the console, read by the host: WYKI-CPUS <n>, WYKI-GUEST-READY, then per module
# WYKI-BEGIN, WYKI-READY (or WYKI-INSMOD-FAILED), WYKI-STATS-BEGIN/END, WYKI-UNLOADED (or
# WYKI-RMMOD-FAILED), WYKI-DMESG-BEGIN/END and WYKI-DONE, each followed by the service's
# name; WYKI-POWEROFF.  Commands, one line each from the console:
#   load SVC [PARAMS]  insmod /modules/wyki_SVC.ko
#   unload SVC         print /proc/wyki/SVC, rmmod, print and clear dmesg
#   poweroff           (or nothing for @CONTROL_TIMEOUT@ s) unload what is loaded, power off
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "4 4 1 7" > /proc/sys/kernel/printk # warnings on the console; the rest in dmesg
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

# The stock servers, with bench/servers.py's configuration; the host waits until they answer.
@NGINX@ >/tmp/nginx.log 2>&1 &
@MEMCACHED@ >/tmp/memcached.log 2>&1 &
echo "WYKI-CPUS $(grep -c '^processor' /proc/cpuinfo)"
echo "WYKI-GUEST-READY"

unload() {
	echo "WYKI-STATS-BEGIN $1"
	cat "/proc/wyki/$1"
	echo "WYKI-STATS-END $1"
	if rmmod "wyki_$1"; then
		echo "WYKI-UNLOADED $1"
	else
		echo "WYKI-RMMOD-FAILED $1"
	fi
	echo "WYKI-DMESG-BEGIN $1"
	dmesg -c
	echo "WYKI-DMESG-END $1"
	echo "WYKI-DONE $1"
}

while read -t @CONTROL_TIMEOUT@ cmd svc params; do
	case "$cmd" in
	load)
		echo "WYKI-BEGIN $svc"
		# shellcheck disable=SC2086 # the parameters are words
		if insmod "/modules/wyki_$svc.ko" $params; then
			echo "WYKI-READY $svc"
			cat "/proc/wyki/$svc"
		else
			echo "WYKI-INSMOD-FAILED $svc"
		fi
		;;
	unload) unload "$svc" ;;
	poweroff) break ;;
	esac
done

for m in $(lsmod | grep '^wyki_' | cut -d' ' -f1); do
	unload "${m#wyki_}"
done
echo "WYKI-LOGS-BEGIN"
cat /tmp/nginx.log /tmp/memcached.log
echo "WYKI-LOGS-END"
echo "WYKI-DMESG-BEGIN"
dmesg
echo "WYKI-DMESG-END"
echo "WYKI-POWEROFF"
poweroff -f
