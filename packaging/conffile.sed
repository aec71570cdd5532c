# Turns examples/wsbridge.conf (every key commented out, with its default) into the
# /etc/wsbridge/wsbridge.conf of the Debian package: two keys are set, the rest stays commented.
# packaging/build-deb.sh applies it at build time and checks that both keys were set.
s|^# Every line below is commented out and shows the default\.$|# Every line below is commented out and shows the default, except listen and app_socket,\
# which the Debian package sets. Under systemd, wsbridge.socket and wsbridge-app.socket\
# provide both sockets (socket activation); these two lines serve a manual start.|
s|^#listen = .*$|listen = 0.0.0.0:8080|
s|^#app_socket = .*$|app_socket = /run/wsbridge/app.sock|
