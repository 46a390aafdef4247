# SPDX-License-Identifier: GPL-2.0-only
#
# Chart of an iommufd-bench CSV: map and unmap throughput by buffer size,
# one line per path and backing memory (median, bars from min to max),
# both axes logarithmic. Rows of a kernel with a label other than the
# first row's (mock rows from the debug kernel, say) carry it in the key.
#
#   gnuplot -e "csv='bench.csv'; png='bench.png'; subtitle='...'" bench-plot.gp

if (!exists("csv")) csv = "bench.csv"
if (!exists("png")) png = "bench.png"
if (!exists("subtitle")) subtitle = ""

# The label of a CSV kernel column, "6.1.x #1 ... [perf]": "perf"
awk_label = 'function label(k) { if (k !~ /\[/) return "-"; sub(/.*\[/, "", k); sub(/\].*/, "", k); gsub(/[ \/]/, "_", k); return k }'
# path/backing/label of every series, in the order of iommufd-bench's rows
series = system(sprintf("awk -F, '%s NR > 1 && $4 == \"map\" && !seen[$1 \"/\" $2 \"/\" label($16)]++ { print $1 \"/\" $2 \"/\" label($16) }' '%s'", awk_label, csv))
first = system(sprintf("awk -F, '%s NR == 2 { print label($16) }' '%s'", awk_label, csv))

# Field n of "a/b/c"
part(s, n) = n > 1 ? part(s[strstrt(s, "/") + 1:], n - 1) : \
	     strstrt(s, "/") ? s[1:strstrt(s, "/") - 1] : s
title_of(s) = part(s, 1) . " " . part(s, 2) . \
	      (part(s, 3) eq first ? "" : " [" . part(s, 3) . "]")
color(p) = p eq "iommufd" ? "#1f77b4" : p eq "type1" ? "#d62728" : \
	   p eq "iommufd-t1" ? "#2ca02c" : "#7f7f7f"
dash(b) = b eq "4k" ? 1 : b eq "thp" ? 2 : b eq "hugetlb" ? 3 : 4
point(b) = b eq "4k" ? 7 : b eq "thp" ? 5 : b eq "hugetlb" ? 9 : 13
count(op) = int(system(sprintf("awk -F, 'NR > 1 && $4 == \"%s\"' '%s' | wc -l", op, csv)))
rows(s, op) = sprintf("< awk -F, '%s $1 == \"%s\" && $2 == \"%s\" && label($16) == \"%s\" && $4 == \"%s\" { print $3, $5, $6, $7 }' '%s'", \
		      awk_label, part(s, 1), part(s, 2), part(s, 3), op, csv)

set terminal pngcairo noenhanced size 1400,720 font ",10"
set output png
set datafile separator whitespace
set logscale xy 2
set xrange [3000:1.5e9]
set xtics ("4K" 4096, "64K" 65536, "2M" 2097152, "64M" 67108864, \
	   "256M" 268435456, "1G" 1073741824)
set format y "%g"
set grid xtics ytics
set xlabel "buffer size"
set ylabel "GiB/s (median; bars: min to max)"

set multiplot layout 1,2 margins 0.06,0.98,0.22,0.9 spacing 0.06 \
	title "iommufd-bench: throughput by buffer size" . \
	(subtitle eq "" ? "" : "\n" . subtitle)
# One key for both panels, below them
set key at screen 0.5,0.01 center bottom vertical maxrows 4 width 1
set title "MAP (IOMMU_IOAS_MAP or _MAP_FILE; VFIO_IOMMU_MAP_DMA)"
plot for [s in series] rows(s, "map") using 1:2:3:4 with yerrorlines \
	lc rgb color(part(s, 1)) dt dash(part(s, 2)) pt point(part(s, 2)) \
	ps 0.8 title title_of(s)
unset key
set title "UNMAP (IOMMU_IOAS_UNMAP; VFIO_IOMMU_UNMAP_DMA)"
unset ylabel
if (count("unmap") > 0) {
	plot for [s in series] rows(s, "unmap") using 1:2:3:4 \
		with yerrorlines lc rgb color(part(s, 1)) dt dash(part(s, 2)) \
		pt point(part(s, 2)) ps 0.8 notitle
}
unset multiplot
