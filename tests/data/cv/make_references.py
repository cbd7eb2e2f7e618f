#!/usr/bin/python3
"""SciPy references for tests/student_t_test.cpp.

Run from this directory: /usr/bin/python3 make_references.py  (Debian 12: SciPy 1.10.1).
Writes:
  betainc.csv   a,b,x,I_x(a,b)            scipy.special.betainc
  t_cdf.csv     t,dof,cdf                 scipy.stats.t.cdf
  t_ppf.csv     p,dof,quantile            scipy.stats.t.ppf
  paired.csv    one paired comparison per line: the two samples (';'-separated lists),
                then mean difference, 95% CI low/high, t statistic and two-sided p-value
                (scipy.stats.ttest_rel; CI = mean +- t.ppf(0.975, n-1) * sd / sqrt(n))
  interval.csv  one sample per line, then mean, sd (ddof=1), 95% CI low/high
"""
import numpy as np
from scipy import special, stats

with open("betainc.csv", "w") as f:
    for a in (0.5, 1.0, 2.5, 10.0, 60.0):
        for b in (0.5, 1.0, 3.0, 25.0):
            for x in (0.0, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0):
                f.write("%r,%r,%r,%.17g\n" % (a, b, x, special.betainc(a, b, x)))
with open("t_cdf.csv", "w") as f:
    for dof in (1, 2, 3, 4, 9, 29, 120, 1e4):
        for t in (-40.0, -5.0, -2.0, -0.3, 0.0, 0.7, 1.96, 2.5, 12.0):
            f.write("%r,%r,%.17g\n" % (t, dof, stats.t.cdf(t, dof)))
with open("t_ppf.csv", "w") as f:
    for dof in (1, 2, 4, 9, 24, 99):
        for p in (0.0005, 0.025, 0.1, 0.5, 0.9, 0.975, 0.995):
            f.write("%r,%r,%.17g\n" % (p, dof, stats.t.ppf(p, dof)))
rng = np.random.default_rng(7)
with open("paired.csv", "w") as f:
    for n, shift in ((5, 0.01), (10, 0.0), (25, 0.02), (3, -0.05)):
        a = rng.uniform(0.85, 0.98, n)
        b = a - shift + rng.normal(0, 0.015, n)
        d = a - b
        test = stats.ttest_rel(a, b)
        half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n)
        f.write("%s;%s;%.17g;%.17g;%.17g;%.17g;%.17g\n" % (
            ",".join("%.17g" % v for v in a), ",".join("%.17g" % v for v in b), d.mean(),
            d.mean() - half, d.mean() + half, test.statistic, test.pvalue))
with open("interval.csv", "w") as f:
    for n in (2, 5, 10, 50):
        x = rng.uniform(0.8, 1.0, n)
        low, high = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
        f.write("%s;%.17g;%.17g;%.17g;%.17g\n" % (",".join("%.17g" % v for v in x), x.mean(),
                                                  x.std(ddof=1), low, high))
