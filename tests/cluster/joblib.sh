# Helpers of the cluster tests that run jobs through the prolog and epilog
# (sourced once SIM is set): the config is $SIM/efa-verify.yaml, state_dir
# $SIM/state/NODE; a job's script leaves $SIM/out/ran-JOB and waits for
# $SIM/out/go-JOB.

# write_wrappers: $SIM/bin/prolog.sh and epilog.sh. slurmd runs
# Prolog/Epilog without arguments: small wrappers name the config. The
# epilog's can be held (while $SIM/hold exists, bounded) so a test can stop
# slurmctld under it, and says when the epilog has ended
# ($SIM/out/epilog-done-JOB-NODE), so a test waits for that, not a while.
write_wrappers() {
	printf '#!/bin/sh\nexec %s -c %s\n' "$SIM/bin/efa-verify-prolog" "$SIM/efa-verify.yaml" > "$SIM/bin/prolog.sh"
	cat > "$SIM/bin/epilog.sh" <<SH
#!/bin/sh
if [ -e $SIM/hold ]; then
	touch $SIM/out/held-\$SLURM_JOB_ID-\$SLURMD_NODENAME
	i=0
	while [ -e $SIM/hold ] && [ \$i -lt 200 ]; do sleep 0.1; i=\$((i + 1)); done
fi
$SIM/bin/efa-verify-epilog -c $SIM/efa-verify.yaml
rc=\$?
touch $SIM/out/epilog-done-\$SLURM_JOB_ID-\$SLURMD_NODENAME
exit \$rc
SH
	chmod 0755 "$SIM/bin/prolog.sh" "$SIM/bin/epilog.sh"
}

go() { touch "$SIM/out/go-$1"; }
# files N PATTERN: wait (bounded, 60 s) until the glob PATTERN names N files.
files() {
	for _ in $(seq 600); do
		[ "$(compgen -G "$2" | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# ran JOB: wait (bounded, 60 s) until the job's script runs, which Slurm
# starts only once every prolog of the job has ended.
ran() { files 1 "$SIM/out/ran-$1"; }
# epilog_done JOB N: wait (bounded, 60 s) until N epilogs of the job have ended.
epilog_done() { files "$2" "$SIM/out/epilog-done-$1-*"; }
# started JOB N: wait (bounded, 60 s: prologs are slow on a loaded machine)
# until the prologs left N start snapshots.
started() { files "$2" "$SIM/state/n*/jobs/$1.start"; }
# record JOB [WANT]: the job's AdminComment once it holds an efa-verify
# record (with WANT in it, if given); bounded at 40 s.
record() {
	local c=
	for _ in $(seq 400); do
		c=$(sacct -P -n -X -j "$1" -o AdminComment 2>/dev/null)
		case "$c" in *efa-verify:*"${2:-}"*) break ;; esac
		sleep 0.1
	done
	echo "$c"
}
