package dev.wechatauth.gateway.topology;

import dev.wechatauth.gateway.rig.Gateways;

/** {@link SessionsAcrossInstances} on a standalone Redis: the shared gateway and its peer. */
class TwoInstancesTest extends SessionsAcrossInstances {

    @Override
    Instances instances() {
        return new Instances(Gateways.shared().backends(), Gateways.shared(), Gateways.sharedPeer());
    }
}
