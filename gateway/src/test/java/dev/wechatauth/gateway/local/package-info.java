/**
 * The {@code local} profile as a laptop user meets it: the example routes of {@code routes.yml} answered by its echo
 * backend, and the playground at {@code /playground/} (served in that profile only), driven in a real browser.
 */
package dev.wechatauth.gateway.local;
