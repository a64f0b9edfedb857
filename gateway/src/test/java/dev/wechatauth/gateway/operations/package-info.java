/**
 * Operating the gateway: the management port (health, Prometheus metrics), the series it exports, the Grafana
 * dashboard over them, and {@code routes.yml} applied while the gateway runs.
 */
package dev.wechatauth.gateway.operations;
