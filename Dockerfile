# Builds the gateway jar with the Maven wrapper, then runs it on a JRE.
FROM eclipse-temurin:17-jdk AS build
# the Maven wrapper downloads Maven with curl (or wget) and unpacks it with unzip (or tar)
RUN apt-get update && apt-get install -y --no-install-recommends curl unzip ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 gateway
WORKDIR /app
COPY --from=build /src/gateway/target/gateway.jar /app/gateway.jar
COPY routes.yml /app/routes.yml
USER gateway
# 8080: the public port; 8081: the management port (health, /actuator/prometheus), to keep private
EXPOSE 8080 8081
ENTRYPOINT ["java", "-jar", "/app/gateway.jar"]
