/** WeChat: its failures and errcodes, replies the gateway must not trust, and failing fast while it keeps failing. */
package dev.wechatauth.gateway.wechat;
