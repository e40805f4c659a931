"""Half-year reports (定期报告制度, RPT-1): each unit reports its disclosure work to its superior
every period of the parameter ``report.months`` — statistics drawn from the data, a narrative,
sections added by sector plugins (hook ``report_sections``) — and late and missing reports are
flagged."""
