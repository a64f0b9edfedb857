/** Start-up: misconfigurations refused at start, the {@code local} profile, and what the application records. */
package dev.wechatauth.gateway.startup;
