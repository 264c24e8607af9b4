#!/bin/bash
# The SPANK plugin exports only what Slurm looks up (slurm_spank_* hooks,
# plugin_name/type/version, spank_plugin_version): nothing of ours lands in
# slurmstepd's symbol namespace.
. "$top_srcdir/tests/lib.sh"
so="$top_builddir/spank/.libs/efa_verify.so"
[ -f "$so" ] || skip_all "no built plugin at $so"
command -v nm >/dev/null || skip_all "nm missing"
syms=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sort)
like "the plugin exports its SPANK hooks" "$syms" '^slurm_spank_init$'
like "the plugin exports plugin_name" "$syms" '^plugin_name$'
like "the plugin exports spank_plugin_version" "$syms" '^spank_plugin_version$'
other=$(printf '%s\n' "$syms" | grep -Ev '^(slurm_spank_[a-z_]+|plugin_(name|type|version)|spank_plugin_version)$' || true)
is "no other symbol is exported" "$other" ""
[ -z "$other" ] || diag "exported: $(printf '%s ' $other | head -c 400)"
done_testing
