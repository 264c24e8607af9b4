# The shell ways' verdict (bench/shell-way.sh, bench/shell-way-nofork.sh):
# the deltas of two snapshot files, as the obvious script would judge them.
#   awk -v job=JOBID -f shell-way.awk START END
NR == FNR { start[$1] = $2; next }
$1 ~ /^imds\// { next }
{
	d = $2 - start[$1]
	if ($1 ~ /^net\//) { if ($1 ~ /(tx|rx)_bytes$/) tcp += d; next }
	if ($1 ~ /\/(tx_bytes|rx_bytes|rdma_read_bytes|rdma_write_bytes)$/) efa += d
	if ($1 ~ /(_err|_events|drops)$/ && d > 0) errs += d
}
END {
	v = "no_traffic"
	if (efa > 0) v = "ok"; else if (tcp > 0) v = "tcp_fallback"
	printf "job=%s efa_bytes=%d tcp_bytes=%d errors=%d verdict=%s\n", job, efa, tcp, errs, v
}
