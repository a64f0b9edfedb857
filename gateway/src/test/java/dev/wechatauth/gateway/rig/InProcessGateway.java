package dev.wechatauth.gateway.rig;

import org.springframework.context.ConfigurableApplicationContext;

/** A gateway running in the test JVM; {@link #context()} shows what it is made of. */
public final class InProcessGateway extends Gateway {

    private final ConfigurableApplicationContext context;

    InProcessGateway(String name, Backends backends, ConfigurableApplicationContext context) {
        super(name, backends, context.getEnvironment().getRequiredProperty("local.server.port", Integer.class),
                context.getEnvironment().getProperty("local.management.port", Integer.class, -1));
        this.context = context;
    }

    /** The running application. */
    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void close() {
        context.close();
    }
}
