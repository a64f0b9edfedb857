/** The admin API on the management port: listing, kicking out and blocking users, and its token. */
package dev.wechatauth.gateway.admin;
