#!/usr/bin/python3
"""A fake BlueZ (org.bluez) with heart-rate straps, for testing Showrunner's
btleplug source on a private D-Bus bus without Bluetooth hardware.

Built on python-dbusmock's `bluez5` template (adapter, Device1 objects,
ObjectManager) plus what the template lacks: GATT objects (Heart Rate Service
0x180D with Measurement 0x2A37 and Body Sensor Location 0x2A38; Battery
Service 0x180F with Battery Level 0x2A19), a Connect that flips Connected and,
a little later, ServicesResolved, and notifications on 0x2A37 after
StartNotify, sent as BlueZ sends them: PropertiesChanged on
org.bluez.GattCharacteristic1 with Value as `ay`.

A control object lets the test drop the strap and bring it back:
    /org/showrunner/fake  org.showrunner.FakeStrap.Drop()     out of range: disconnect, GATT gone, Connect fails
    /org/showrunner/fake  org.showrunner.FakeStrap.Restore()  back in range

Runs only on the bus DBUS_SYSTEM_BUS_ADDRESS names (refuses to start without
it, so it can never touch the machine's real system bus). Needs Debian's
/usr/bin/python3 with python3-dbusmock.

The same from a folder (for a test in a chroot, where dbus-send may be missing): a file
named `drop` or `restore` appearing in FAKE_CONTROL_DIR does the same, and is removed.
Every Connect call is appended to FAKE_CONTROL_DIR/connections.log (the device's address),
and every Disconnect call (`disconnect ADDRESS`).

Environment:
  FAKE_HR_INTERVAL_MS   ms between notifications (default 100)
  FAKE_SENT_LOG         file to log every notification: "<CLOCK_MONOTONIC ns> <hex>"
  FAKE_HR_RISE_AFTER_S  seconds of notifications at ~71 bpm before the heart starts to race
                        (default: never)
  FAKE_HR_RISE_S        seconds the rise takes, to +60 bpm (default 60)
  FAKE_CONTROL_DIR      folder watched for `drop` and `restore` files
"""
import os
import sys
import time
from xml.etree import ElementTree

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

import dbusmock
from dbusmock import mockobject
from dbusmock.templates import bluez5

if not os.environ.get("DBUS_SYSTEM_BUS_ADDRESS"):
    sys.exit("refusing to run: DBUS_SYSTEM_BUS_ADDRESS is unset (would use the real system bus)")

ADAPTER = "hci0"
ADDR = "F0:0D:CA:FE:00:01"
NAME = "Fake HRM"
OTHER_ADDR = "F0:0D:CA:FE:00:02"   # a second strap, further away (weaker signal)
OTHER_NAME = "Other HRM"
INTERVAL_MS = int(os.environ.get("FAKE_HR_INTERVAL_MS", "100"))
RISE_AFTER_S = float(os.environ.get("FAKE_HR_RISE_AFTER_S", "inf"))
RISE_S = float(os.environ.get("FAKE_HR_RISE_S", "60"))
RISE_BPM = 60.0
CONTROL_DIR = os.environ.get("FAKE_CONTROL_DIR")
SENT_LOG = os.environ.get("FAKE_SENT_LOG")


def uuid16(x):
    return f"0000{x:04x}-0000-1000-8000-00805f9b34fb"


HR_SERVICE, HR_MEASUREMENT, BODY_LOCATION = uuid16(0x180D), uuid16(0x2A37), uuid16(0x2A38)
BATTERY_SERVICE, BATTERY_LEVEL, CCCD = uuid16(0x180F), uuid16(0x2A19), uuid16(0x2902)
SVC, CHR, DSC = "org.bluez.GattService1", "org.bluez.GattCharacteristic1", "org.bluez.GattDescriptor1"
DEVICE_IFACE, ADAPTER_IFACE = bluez5.DEVICE_IFACE, bluez5.ADAPTER_IFACE
OM_IFACE = dbusmock.OBJECT_MANAGER_IFACE
CONTROL_PATH, CONTROL_IFACE = "/org/showrunner/fake", "org.showrunner.FakeStrap"


def hrm(bpm, rr=(), energy=None, contact=None):
    """Encodes a Heart Rate Measurement (0x2A37); rr in units of 1/1024 s."""
    flags, body = 0, []
    if bpm > 255:
        flags |= 0x01
        body += [bpm & 0xFF, bpm >> 8]
    else:
        body.append(bpm)
    if contact is not None:
        flags |= 0x04 | (0x02 if contact else 0)
    if energy is not None:
        flags |= 0x08
        body += [energy & 0xFF, energy >> 8]
    if rr:
        flags |= 0x10
        for r in rr:
            body += [r & 0xFF, r >> 8]
    return bytes([flags] + body)


# Sent once after each subscription: every flag combination, then bad input.
PREAMBLE = [
    hrm(60),                                     # u8, no RR, contact not supported
    hrm(72, rr=[853], contact=True),             # RR, contact detected
    hrm(300, rr=[870, 872]),                     # u16 heart rate, two RR
    hrm(95, rr=[868], energy=1234, contact=True),  # energy expended
    hrm(80, rr=[874], contact=False),            # contact supported, not detected
    bytes([0x10, 0x48, 0x00]),                   # malformed: half an RR interval
    hrm(0, rr=[0], contact=True),                # nonsense: HR 0, RR 0
]


def steady(i):
    """The ongoing stream: a plausible ~71 bpm strap with small variation, racing by up to
    +60 bpm over FAKE_HR_RISE_S once FAKE_HR_RISE_AFTER_S of notifications have gone by."""
    t = i * INTERVAL_MS / 1000.0
    rise = 0.0 if t < RISE_AFTER_S else min(1.0, (t - RISE_AFTER_S) / RISE_S) * RISE_BPM
    if rise == 0.0:
        return hrm(70 + i % 3, rr=[866 + (i * 7) % 21 - 10],
                   energy=(100 + i) if i % 10 == 0 else None, contact=True)
    bpm = 70 + i % 3 + rise
    return hrm(int(round(bpm)), rr=[int(60000 / bpm) + (i * 7) % 21 - 10],
               energy=(100 + i) if i % 10 == 0 else None, contact=True)


# dbusmock lists <interface> elements after child <node>s in Introspect; the
# XML parser bluez-async uses rejects that ("duplicate field `interface`").
# Real bluetoothd lists interfaces first, so do the same.
_orig_introspect = mockobject.DBusMockObject.Introspect


@dbus.service.method(dbus.INTROSPECTABLE_IFACE, in_signature="", out_signature="s",
                     path_keyword="object_path", connection_keyword="connection")
def _introspect_ifaces_first(self, object_path, connection):
    tree = ElementTree.fromstring(_orig_introspect(self, object_path, connection))
    kids = list(tree)
    for k in kids:
        tree.remove(k)
    tree.extend([k for k in kids if k.tag != "node"] + [k for k in kids if k.tag == "node"])
    return ElementTree.tostring(tree, encoding="unicode")


mockobject.DBusMockObject.Introspect = _introspect_ifaces_first


def ay(data):
    return dbus.Array([dbus.Byte(b) for b in data], signature="y", variant_level=1)


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()  # honours DBUS_SYSTEM_BUS_ADDRESS
    bus_name = dbus.service.BusName("org.bluez", bus, do_not_queue=True)
    root = mockobject.DBusMockObject(bus_name, "/", OM_IFACE, {}, None, True)
    mockobject.objects["/"] = root
    root.AddTemplate("bluez5", None)
    adapter_path = root.AddAdapter(ADAPTER, "fake-host")
    adapter = mockobject.objects[adapter_path]
    dev_path = f"{adapter_path}/dev_{ADDR.replace(':', '_')}"
    hr_svc, hr_chr, hr_dsc, loc_chr = (f"{dev_path}/service000c", f"{dev_path}/service000c/char000d",
                                       f"{dev_path}/service000c/char000d/desc000f",
                                       f"{dev_path}/service000c/char0010")
    bat_svc, bat_chr = f"{dev_path}/service0012", f"{dev_path}/service0012/char0013"
    gatt_paths = [hr_svc, hr_chr, hr_dsc, loc_chr, bat_svc, bat_chr]
    state = {"timer": None, "i": 0, "away": False, "sent": 0}
    log = open(SENT_LOG, "a", buffering=1) if SENT_LOG else None

    def add_device(addr, name, rssi, connectable):
        path = f"{adapter_path}/dev_{addr.replace(':', '_')}"
        if path in mockobject.objects:
            return
        root.AddDevice(ADAPTER, addr, name)
        dev = mockobject.objects[path]
        dev.UpdateProperties(DEVICE_IFACE, {
            "UUIDs": dbus.Array([HR_SERVICE, BATTERY_SERVICE], signature="s", variant_level=1),
            "AddressType": dbus.String("random", variant_level=1),
            "RSSI": dbus.Int16(rssi, variant_level=1),
        })
        if connectable:
            dev.AddMethod(DEVICE_IFACE, "Connect", "", "", dev_connect)
            dev.AddMethod(DEVICE_IFACE, "Disconnect", "", "", dev_disconnect)

    def add_gatt():
        if hr_svc in mockobject.objects:
            return
        def read_value(iface):
            return lambda self, opts: self.props[iface]["Value"]
        root.AddObject(hr_svc, SVC, {
            "UUID": dbus.String(HR_SERVICE, variant_level=1),
            "Primary": dbus.Boolean(True, variant_level=1),
            "Device": dbus.ObjectPath(dev_path, variant_level=1),
            "Includes": dbus.Array([], signature="o", variant_level=1),
            "Handle": dbus.UInt16(0x000c, variant_level=1),
        }, [])
        root.AddObject(hr_chr, CHR, {
            "UUID": dbus.String(HR_MEASUREMENT, variant_level=1),
            "Service": dbus.ObjectPath(hr_svc, variant_level=1),
            "Value": ay(b""),
            "Notifying": dbus.Boolean(False, variant_level=1),
            "Flags": dbus.Array(["notify"], signature="s", variant_level=1),
            "Handle": dbus.UInt16(0x000d, variant_level=1),
            "MTU": dbus.UInt16(247, variant_level=1),
        }, [
            ("ReadValue", "a{sv}", "ay", read_value(CHR)),
            ("WriteValue", "aya{sv}", "", chr_write),
            ("StartNotify", "", "", chr_start_notify),
            ("StopNotify", "", "", chr_stop_notify),
        ])
        root.AddObject(hr_dsc, DSC, {
            "UUID": dbus.String(CCCD, variant_level=1),
            "Characteristic": dbus.ObjectPath(hr_chr, variant_level=1),
            "Value": ay(b"\x00\x00"),
            "Handle": dbus.UInt16(0x000f, variant_level=1),
        }, [("ReadValue", "a{sv}", "ay", read_value(DSC)), ("WriteValue", "aya{sv}", "", "")])
        root.AddObject(loc_chr, CHR, {
            "UUID": dbus.String(BODY_LOCATION, variant_level=1),
            "Service": dbus.ObjectPath(hr_svc, variant_level=1),
            "Value": ay(b"\x01"),  # chest
            "Notifying": dbus.Boolean(False, variant_level=1),
            "Flags": dbus.Array(["read"], signature="s", variant_level=1),
            "Handle": dbus.UInt16(0x0010, variant_level=1),
        }, [("ReadValue", "a{sv}", "ay", read_value(CHR))])
        root.AddObject(bat_svc, SVC, {
            "UUID": dbus.String(BATTERY_SERVICE, variant_level=1),
            "Primary": dbus.Boolean(True, variant_level=1),
            "Device": dbus.ObjectPath(dev_path, variant_level=1),
            "Includes": dbus.Array([], signature="o", variant_level=1),
            "Handle": dbus.UInt16(0x0012, variant_level=1),
        }, [])
        root.AddObject(bat_chr, CHR, {
            "UUID": dbus.String(BATTERY_LEVEL, variant_level=1),
            "Service": dbus.ObjectPath(bat_svc, variant_level=1),
            "Value": ay(b"\x57"),  # 87 %
            "Notifying": dbus.Boolean(False, variant_level=1),
            "Flags": dbus.Array(["read"], signature="s", variant_level=1),
            "Handle": dbus.UInt16(0x0013, variant_level=1),
        }, [("ReadValue", "a{sv}", "ay", read_value(CHR))])
        for p in gatt_paths:
            root.EmitSignal(OM_IFACE, "InterfacesAdded", "oa{sa{sv}}",
                            [dbus.ObjectPath(p), mockobject.objects[p].props])

    def remove_gatt():
        for p in reversed(gatt_paths):
            if p in mockobject.objects:
                ifaces = list(mockobject.objects[p].props.keys())
                root.RemoveObject(p)
                root.EmitSignal(OM_IFACE, "InterfacesRemoved", "oas", [dbus.ObjectPath(p), ifaces])

    def dev_connect(dev):
        if CONTROL_DIR:  # every connection attempt, for tests that check none is made
            with open(os.path.join(CONTROL_DIR, "connections.log"), "a") as f:
                f.write(f"{dev.props[DEVICE_IFACE]['Address']}\n")
        if state["away"]:
            raise dbus.exceptions.DBusException("le-connection-abort-by-local", name="org.bluez.Error.Failed")
        if dev.props[DEVICE_IFACE]["Connected"]:
            raise dbus.exceptions.DBusException("Already Connected", name="org.bluez.Error.AlreadyConnected")
        dev.UpdateProperties(DEVICE_IFACE, {"Connected": dbus.Boolean(True, variant_level=1)})

        def resolve():  # like BlueZ: GATT discovery finishes a little after Connect returns
            if state["away"]:
                return False
            add_gatt()
            dev.UpdateProperties(DEVICE_IFACE, {"ServicesResolved": dbus.Boolean(True, variant_level=1)})
            return False
        GLib.timeout_add(150, resolve)

    def dev_disconnect(dev):
        if CONTROL_DIR:
            with open(os.path.join(CONTROL_DIR, "connections.log"), "a") as f:
                f.write(f"disconnect {dev.props[DEVICE_IFACE]['Address']}\n")
        stop_timer()
        dev.UpdateProperties(DEVICE_IFACE, {
            "ServicesResolved": dbus.Boolean(False, variant_level=1),
            "Connected": dbus.Boolean(False, variant_level=1),
        })

    def chr_write(ch, value, opts):
        raise dbus.exceptions.DBusException("Write not permitted", name="org.bluez.Error.NotPermitted")

    def tick():
        ch = mockobject.objects.get(hr_chr)
        if ch is None:
            state["timer"] = None
            return False
        i = state["i"]
        state["i"] += 1
        val = PREAMBLE[i] if i < len(PREAMBLE) else steady(i)
        if log:
            log.write(f"{time.monotonic_ns()} {val.hex()}\n")
        ch.UpdateProperties(CHR, {"Value": ay(val)})
        return True

    def stop_timer():
        if state["timer"] is not None:
            GLib.source_remove(state["timer"])
            state["timer"] = None

    def chr_start_notify(ch):
        if not mockobject.objects[dev_path].props[DEVICE_IFACE]["Connected"]:
            raise dbus.exceptions.DBusException("Not connected", name="org.bluez.Error.NotConnected")
        if state["timer"] is None:
            ch.UpdateProperties(CHR, {"Notifying": dbus.Boolean(True, variant_level=1)})
            state["i"] = 0
            state["timer"] = GLib.timeout_add(INTERVAL_MS, tick)

    def chr_stop_notify(ch):
        stop_timer()
        ch.UpdateProperties(CHR, {"Notifying": dbus.Boolean(False, variant_level=1)})

    def start_discovery(ad):
        bluez5.StartDiscovery(ad)  # template: Discovering=True + PropertiesChanged

        def heard():  # advertisements heard shortly after the scan starts
            add_device(ADDR, NAME, -55, True)
            add_device(OTHER_ADDR, OTHER_NAME, -82, False)
            return False
        GLib.timeout_add(300, heard)

    def drop(_ctl):
        """The strap goes out of range: link lost, GATT gone, reconnects fail."""
        state["away"] = True
        stop_timer()
        dev = mockobject.objects[dev_path]
        if dev.props[DEVICE_IFACE]["Connected"]:
            dev.UpdateProperties(DEVICE_IFACE, {
                "ServicesResolved": dbus.Boolean(False, variant_level=1),
                "Connected": dbus.Boolean(False, variant_level=1),
            })
        remove_gatt()

    def restore(_ctl):
        state["away"] = False

    def watch_control():
        for name, act in (("drop", drop), ("restore", restore)):
            path = os.path.join(CONTROL_DIR, name)
            if os.path.exists(path):
                os.remove(path)
                act(None)
                print(f"fake bluez: {name} (from {path})", flush=True)
        return True
    if CONTROL_DIR:
        GLib.timeout_add(50, watch_control)

    adapter.AddMethod(ADAPTER_IFACE, "StartDiscovery", "", "", start_discovery)
    root.AddObject(CONTROL_PATH, CONTROL_IFACE, {}, [("Drop", "", "", drop), ("Restore", "", "", restore)])

    print(f"fake bluez ready on {os.environ['DBUS_SYSTEM_BUS_ADDRESS']}", flush=True)
    loop = GLib.MainLoop()
    bus.add_signal_receiver(lambda *a: loop.quit(), signal_name="Disconnected",
                            path="/org/freedesktop/DBus/Local", dbus_interface="org.freedesktop.DBus.Local")
    loop.run()


if __name__ == "__main__":
    main()
