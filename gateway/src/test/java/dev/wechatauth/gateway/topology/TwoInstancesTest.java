package dev.wechatauth.gateway.topology;

import dev.wechatauth.gateway.rig.Backends;
import dev.wechatauth.gateway.rig.Gateway;
import dev.wechatauth.gateway.rig.Gateways;

/** {@link SessionsAcrossInstances} on a standalone Redis: the shared gateway and its peer. */
class TwoInstancesTest extends SessionsAcrossInstances {

    @Override
    Gateway a() {
        return Gateways.shared();
    }

    @Override
    Gateway b() {
        return Gateways.sharedPeer();
    }

    @Override
    Backends backends() {
        return Gateways.shared().backends();
    }
}
