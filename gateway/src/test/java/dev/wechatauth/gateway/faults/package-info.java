/**
 * Faults injected under steady traffic: Redis frozen or killed, WeChat hanging, failing or slow, the downstream
 * hanging or resetting, and the heap through long faults. Their figures go to
 * {@code gateway/target/fault-figures.md}, where the bounds in time (the fault's timeout + 500 ms, recovery within
 * 5 s) are judged as they are; the tests hold the answers to them only with
 * {@link dev.wechatauth.gateway.rig.Timing#CI_MARGIN a margin} for a busy machine, and fail on no recovery at all.
 */
package dev.wechatauth.gateway.faults;
