"""``{{ chart|chart_html }}``: a chart of certificates/pages/charts.py, drawn."""

from django import template

from certificates.pages.chart_markup import chart_html

register = template.Library()
register.filter("chart_html", chart_html)
