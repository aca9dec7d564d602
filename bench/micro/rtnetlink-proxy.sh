#!/bin/bash
# System time per rtnetlink request on this kernel, the proxy for a tc filter
# request's own kernel work (the development VM's kernel has neither flower
# nor gact built in): `ip -b` adds, then deletes, N /32 routes in a fresh
# network namespace (needs root; nothing outside the namespace is touched).
#
#   bash bench/micro/rtnetlink-proxy.sh [N]     # default 50000
set -e
N=${1:-50000}
D=$(mktemp -d /tmp/slab-rtnl.XXXXXX)
python3 - "$N" "$D" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
with open(d + "/add", "w") as a, open(d + "/del", "w") as r:
    for i in range(n):
        ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        a.write("route add %s/32 dev lo\n" % ip)
        r.write("route del %s/32 dev lo\n" % ip)
PY
unshare -n bash -c "ip link set lo up
/usr/bin/time -f 'add %S' ip -b $D/add
/usr/bin/time -f 'del %S' ip -b $D/del" 2>&1 | while read op sys; do
  echo "rtnetlink_${op}_sys_ns_per_request $(python3 -c "print(round($sys * 1e9 / $N))") ns"
done
rm -rf "$D"
