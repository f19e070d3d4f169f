#!/bin/sh
# /init of the kernel-test initramfs (scripts/kernel/wyki_kernel.py fills in the @...@).
# Every service's module is /modules/wyki_<svc>.ko.  Markers on the console, read by the host:
# WYKI-INIT, WYKI-GUEST-READY, then per service WYKI-BEGIN, WYKI-READY (or
# WYKI-INSMOD-FAILED), WYKI-STATS-BEGIN/END, WYKI-UNLOADED (or WYKI-RMMOD-FAILED),
# WYKI-DMESG-BEGIN/END and WYKI-DONE, each followed by the service's name; WYKI-POWEROFF.
# Commands, one line each from the console:
#   load SVC [PARAMS]  insmod the service (with control=1: the console shows warnings and
#                      worse only, so that no log line cuts an answer in two)
#   ctl SVC COMMAND    write COMMAND to /proc/wyki/SVC.control (a module loaded with
#                      control=1: quiet, advance MS, stats), print "WYKI-CTL <its answer>"
#   stats SVC          print /proc/wyki/SVC
#   unload SVC         print /proc/wyki/SVC, rmmod, print and clear dmesg
#   poweroff           (or nothing for @CONTROL_TIMEOUT@ s) unload what is loaded, power off
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
	[ -e "/proc/wyki/$1" ] && echo "WYKI-INIT: /proc/wyki/$1 still exists"
	echo 7 > /proc/sys/kernel/printk
	echo "WYKI-DMESG-BEGIN $1"
	dmesg -c
	echo "WYKI-DMESG-END $1"
	echo "WYKI-DONE $1"
}

while read -t @CONTROL_TIMEOUT@ cmd svc params; do
	case "$cmd" in
	load)
		echo "WYKI-BEGIN $svc"
		case " $params " in *" control=1 "*) echo 5 > /proc/sys/kernel/printk ;; esac
		# shellcheck disable=SC2086 # the parameters are words
		if insmod "/modules/wyki_$svc.ko" $params; then
			echo "WYKI-READY $svc"
			cat "/proc/wyki/$svc"
		else
			echo "WYKI-INSMOD-FAILED $svc"
		fi
		;;
	ctl)
		answer=""
		# echo and read are builtins: no fork per command
		if echo "$params" > "/proc/wyki/$svc.control"; then
			read -r answer < "/proc/wyki/$svc.control"
		fi
		echo "WYKI-CTL ${answer:-error no control file for $svc (loaded with control=1?)}"
		;;
	stats) cat "/proc/wyki/$svc" ;;
	unload) unload "$svc" ;;
	poweroff) break ;;
	esac
done

for m in $(lsmod | grep '^wyki_' | cut -d' ' -f1); do
	unload "${m#wyki_}"
done
echo "WYKI-DMESG-BEGIN"
dmesg
echo "WYKI-DMESG-END"
echo "WYKI-POWEROFF"
poweroff -f
